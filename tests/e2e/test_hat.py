"""Le chapeau solidaire in three browsers: the admin prepares a hat for the stage (with a
picture), Bea watches the stage on a computer, Awa pledges from a 390 px phone and gets the
QR code (decoded here from the screen), Bea's progress bar moves and the thank-you appears
in the stage's chat, then the treasurer marks it received and Bea sees it counted."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Page, expect

from .helpers import PHONE_390, Visitors, screenshot, wait_online, wait_settled

pytestmark = pytest.mark.browser

_AXE = Axe()


def _axe(page: Page) -> list[str]:
    result = _AXE.run(page).response
    return [
        f"{page.url} [{v['impact']}] {v['id']}: "
        + "; ".join(str(node["target"]) for node in v["nodes"][:4])
        for v in result["violations"]
    ]


def _no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways on {page.url}: {widths}"


def _picture() -> bytes:
    image = Image.new("RGB", (800, 500), (200, 90, 60))
    for x in range(0, 800, 40):
        for y in range(0, 500, 40):
            if (x + y) // 40 % 2:
                image.paste((240, 200, 120), (x, y, x + 40, y + 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    return buffer.getvalue()


def test_hat_pledge_on_a_phone_moves_the_bar_and_the_treasurer_marks_it(
    people: Visitors,
) -> None:
    admin = people.admin()
    admin.goto("/r/scene")
    admin.get_by_role("link", name="Préparer un chapeau pour cette salle").click()
    expect(admin).to_have_url(re.compile(r"/hats/new\?room=scene$"))
    admin.get_by_label("Le nom de la cause").fill("La casa sin papel")
    admin.get_by_label("Ce que c'est, en quelques mots").fill(
        "Des colis alimentaires et des lits pour la nuit, à Bruxelles.\n\n"
        "Chaque euro va directement à l'association."
    )
    admin.locator("#hat-picture").set_input_files(
        {"name": "casa.jpg", "mimeType": "image/jpeg", "buffer": _picture()}
    )
    admin.get_by_label("Nom du titulaire du compte").fill("La casa sin papel ASBL")
    # A typo in the IBAN: refused with a clear message, what was typed stays.
    admin.get_by_label("IBAN").fill("BE68 5390 0754 7035")
    admin.get_by_label("Objectif, en euros").fill("500")
    expect(admin.get_by_label("Salle (la scène le montre à côté du chat)")).to_have_value("scene")
    admin.get_by_role("button", name="Ouvrir le chapeau").click()
    expect(admin.locator("#hat-error")).to_contain_text("Cet IBAN n'est pas valable")
    expect(admin.get_by_label("Le nom de la cause")).to_have_value("La casa sin papel")
    admin.locator("#hat-picture").set_input_files(
        {"name": "casa.jpg", "mimeType": "image/jpeg", "buffer": _picture()}
    )
    admin.get_by_label("IBAN").fill("BE68 5390 0754 7034")
    admin.get_by_role("button", name="Ouvrir le chapeau").click()
    expect(admin).to_have_url(re.compile(r"/hats/\d+$"))
    hat_id = int(admin.url.rsplit("/", 1)[1])
    expect(admin.locator(".hat-cause img.hat-picture")).to_be_visible()
    screenshot(admin, "hat-cause-desktop")

    # Bea watches the stage on a computer; the hat is in its panel.
    # (Bea and Awa go straight to the stage: in over HTTP, without the invite form's loads.)
    bea = people.sign_up("Bea Spectatrice")
    bea.goto("/r/scene")
    wait_online(bea)
    panel = bea.locator(".hat-panel")
    expect(panel).to_contain_text("La casa sin papel")
    expect(panel.locator("[data-hat-pledged]")).to_have_text(re.compile(r"^0,00\s€$"))
    screenshot(bea, "hat-stage-panel-desktop", full_page=False)

    # Awa, on a phone, pledges from the stage's panel.
    awa = people.sign_up("Awa Nouvelle", **PHONE_390)
    awa.goto("/r/scene")
    _no_sideways_scroll(awa)
    screenshot(awa, "hat-stage-panel-phone")
    awa.locator(".hat-panel").get_by_role(
        "link", name="Mettre quelque chose dans le chapeau"
    ).click()
    expect(awa).to_have_url(re.compile(rf"/hats/{hat_id}$"))
    _no_sideways_scroll(awa)
    # An absurd amount first: refused on the same form, the bar did not move.
    awa.get_by_label("Combien, en euros ?").fill("50000")
    awa.get_by_role("button", name="Je promets").click()
    expect(awa.locator("#hat-error")).to_contain_text("Au plus 5000")
    expect(bea.locator(".hat-panel [data-hat-pledged]")).to_have_text(re.compile(r"^0,00\s€$"))
    awa.get_by_label("Combien, en euros ?").fill("15")
    screenshot(awa, "hat-pledge-form-phone")
    awa.get_by_role("button", name="Je promets").click()
    expect(awa).to_have_url(re.compile(rf"/hats/{hat_id}/pledges/\d+$"))
    expect(awa.get_by_role("heading", name="Merci ! Maintenant, le virement")).to_be_visible()
    communication = awa.locator("#hat-copy-communication").input_value()
    assert re.fullmatch(r"\+\+\+\d{3}/\d{4}/\d{5}\+\+\+", communication)
    expect(awa.locator("#hat-copy-iban")).to_have_value("BE68 5390 0754 7034")
    expect(awa.locator("#hat-copy-amount")).to_have_value(re.compile(r"^15,00\s€$"))
    # The QR code as the phone shows it decodes to the transfer.
    qr = awa.locator("img[data-hat-qr]")
    expect(qr).to_be_visible()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
    assert found, "no QR code read from the screen"
    lines = found[0].text.split("\n")
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[5:8] == ["La casa sin papel ASBL", "BE68539007547034", "EUR15"]
    assert lines[9] == communication.strip("+").replace("/", "")
    # The communication copies with one tap.
    awa.locator(".hat-copy").filter(has=awa.locator("#hat-copy-communication")).get_by_role(
        "button", name=re.compile("Copier")
    ).tap()
    expect(awa.locator(".hat-copy [role=status]").last).to_have_text(
        "Copié : colle-le dans ton app bancaire."
    )
    _no_sideways_scroll(awa)
    screenshot(awa, "hat-pledge-qr-phone")

    # Bea's bar moved by itself, and the stage's chat thanks Awa by name.
    expect(bea.locator(".hat-panel [data-hat-pledged]")).to_have_text(re.compile(r"^15,00\s€$"))
    expect(bea.locator(".hat-panel [data-hat-received]")).to_have_text(re.compile(r"^0,00\s€$"))
    thanks = bea.locator("#chat-log-scene li.msg").last
    expect(thanks).to_contain_text("Awa Nouvelle")
    expect(thanks).to_contain_text("a mis quelque chose dans le chapeau")
    screenshot(bea, "hat-stage-after-pledge-desktop", full_page=False)

    # The treasurer (the admin who prepared it) marks it received.
    admin.goto(f"/hats/{hat_id}")
    admin.get_by_role("link", name="Les comptes").click()
    row = admin.locator("tr[data-pledge]").first
    expect(row).to_contain_text("Awa Nouvelle")
    expect(row).to_contain_text(communication)
    row.get_by_role("button", name=re.compile("Marquer reçu")).click()
    expect(admin.locator("tr[data-pledge] [data-status=received]")).to_be_visible()
    screenshot(admin, "hat-accounts-desktop")
    expect(bea.locator(".hat-panel [data-hat-received]")).to_have_text(re.compile(r"^15,00\s€$"))
    # Awa's page says it was received once she looks again.
    awa.reload()
    expect(awa.get_by_role("heading", name="Reçu : merci !")).to_be_visible()

    # A phone-sized accounts page, and axe on every hat page, desktop and phone.
    treasurer_phone = people.context(**PHONE_390, storage_state=admin.context.storage_state())
    phone_admin = treasurer_phone.new_page()
    phone_admin.goto(f"/hats/{hat_id}/accounts")
    _no_sideways_scroll(phone_admin)
    screenshot(phone_admin, "hat-accounts-phone")
    pledge_path = awa.url.removeprefix(awa.url.split("/hats")[0])
    problems: list[str] = []
    for page, paths in (
        (admin, ["/hats", f"/hats/{hat_id}", f"/hats/{hat_id}/edit", f"/hats/{hat_id}/accounts"]),
        (phone_admin, ["/hats", f"/hats/{hat_id}", f"/hats/{hat_id}/accounts"]),
        (awa, [pledge_path, f"/hats/{hat_id}", "/r/scene"]),
        (bea, ["/r/scene"]),
    ):
        for path in paths:
            page.goto(path)
            wait_settled(page)
            problems += _axe(page)
    assert not problems, "axe found:\n" + "\n".join(problems)
