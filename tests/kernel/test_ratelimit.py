from __future__ import annotations

from estaminet.kernel.ratelimit import TokenBucket


def test_ratelimit_burst_then_steady_rate() -> None:
    bucket = TokenBucket(capacity=3, rate=1.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert 0.9 < bucket.wait_time() <= 1.0
    assert bucket.take(1.0)
    assert not bucket.take(1.5)
    assert bucket.take(10.0) and bucket.take(10.0) and bucket.take(10.0)
    assert not bucket.take(10.0)
