"""The solidarity hat's pure rules: amounts, IBAN/BIC, the structured communication, a bank's
CSV export read and matched (no database, no clock)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.be import ogm_vcs

from estaminet.hat.rules import (
    PledgeStatus,
    check_bic,
    check_goal,
    check_iban,
    check_pledge_amount,
    match_rows,
    parse_bank_csv,
    parse_euros,
    progress,
    read_reference,
    structured_communication,
)
from estaminet.kernel.errors import BadInput


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("10", 1000),
        ("7,50", 750),
        ("7.5", 750),
        ("12 €", 1200),
        ("1 000", 100000),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("0,01", 1),
        (" 25,00 EUR ", 2500),
        ("-5", -500),
    ],
)
def test_hat_amounts_typed_as_people_type_them(typed: str, cents: int) -> None:
    assert parse_euros(typed) == cents


@pytest.mark.parametrize("typed", ["", "abc", "10,5055", "1e3", "10,-", "--5", "5 5,5,5", None, 12])
def test_hat_unreadable_amounts_are_refused(typed: object) -> None:
    with pytest.raises(BadInput) as refused:
        parse_euros(typed)
    assert refused.value.code == "hat/bad_amount"


def test_hat_pledge_amount_positive_and_within_the_maximum() -> None:
    assert check_pledge_amount("50", 500_000) == 5000
    assert check_pledge_amount("5000", 500_000) == 500_000
    for typed, code in [
        ("0", "hat/amount_not_positive"),
        ("0,00", "hat/amount_not_positive"),
        ("-10", "hat/amount_not_positive"),
        ("5000,01", "hat/amount_too_large"),
        ("999999999999", "hat/amount_too_large"),
    ]:
        with pytest.raises(BadInput) as refused:
            check_pledge_amount(typed, 500_000)
        assert refused.value.code == code, typed
    with pytest.raises(BadInput):
        check_goal("0")
    assert check_goal("2 000") == 200_000


def test_hat_iban_checked_by_the_library() -> None:
    assert check_iban("be68 5390 0754 7034") == "BE68539007547034"
    assert check_iban("FR76 3000 6000 0112 3456 7890 189") == "FR7630006000011234567890189"
    for bad in ["BE68 5390 0754 7035", "BE68539007547", "", "hello", "BE68 5390 0754 70344"]:
        with pytest.raises(BadInput) as refused:
            check_iban(bad)
        assert refused.value.code == "hat/bad_iban", bad
    # A valid IBAN outside SEPA cannot be paid by an EPC QR code.
    with pytest.raises(BadInput) as refused:
        check_iban("SA03 8000 0000 6080 1016 7519")
    assert refused.value.code == "hat/iban_not_sepa"
    assert check_bic("") is None and check_bic("gebabebb") == "GEBABEBB"
    with pytest.raises(BadInput):
        check_bic("GEB")


def test_hat_structured_communication_modulo_97() -> None:
    assert structured_communication(108068171) == "+++010/8068/17183+++"
    # A number divisible by 97 takes 97 as its check digits, never 00.
    assert structured_communication(97 * 12345) == "+++000/1197/46597+++"
    with pytest.raises(ValueError):
        structured_communication(0)
    with pytest.raises(ValueError):
        structured_communication(10**10)


@given(st.integers(min_value=1, max_value=10**10 - 1))
def test_hat_every_communication_is_valid_for_the_library(number: int) -> None:
    text = structured_communication(number)
    digits = ogm_vcs.validate(text)
    assert int(digits[:10]) == number
    assert read_reference(f"Virement {text} merci") == digits


def test_hat_communication_found_in_a_statement_line() -> None:
    assert read_reference("+++010/8068/17183+++") == "010806817183"
    assert read_reference("***010/8068/17183***") == "010806817183"
    assert read_reference("COMMUNICATION: 010806817183 DE MARIE") == "010806817183"
    assert read_reference("010/8068/17184") is None  # a wrong check digit
    assert read_reference("Merci pour le concert") is None


BNP_EXPORT = """Numéro de séquence;Date d'exécution;Date valeur;Montant;Devise du compte;Numéro de compte;Type de transaction;Contrepartie;Nom de la contrepartie;Communication;Détails;Statut;Motif du refus
2026-0042;04/12/2026;04/12/2026;25,00;EUR;BE68539007547034;Virement en euros;BE71096123456769;DUPONT MARIE;+++010/8068/17183+++;VIREMENT EN EUROS DE DUPONT MARIE;Accepté;
2026-0043;04/12/2026;04/12/2026;-12,30;EUR;BE68539007547034;Paiement par carte;;COLRUYT;;ACHAT COLRUYT;Accepté;
2026-0044;05/12/2026;05/12/2026;10,00;EUR;BE68539007547034;Virement en euros;BE71096123456769;ANONYME;Pour le chapeau;VIREMENT;Accepté;
2026-0045;05/12/2026;05/12/2026;1.250,00;EUR;BE68539007547034;Virement en euros;BE71096123456769;ASBL X;;COMMUNICATION : 000/0000/09797;Accepté;
"""


def test_hat_bank_export_read_and_matched() -> None:
    rows = parse_bank_csv(BNP_EXPORT)
    assert [(r.line, r.amount_cents, r.reference) for r in rows] == [
        (2, 2500, "010806817183"),
        (3, -1230, None),
        (4, 1000, None),
        (5, 125000, "000000009797"),
    ]
    assert rows[0].counterparty == "DUPONT MARIE"
    report = match_rows(
        rows,
        {
            "010806817183": (1, PledgeStatus.PLEDGED),
            "000000009797": (2, PledgeStatus.RECEIVED),
        },
    )
    assert [(r.line, pid) for r, pid in report.matched] == [(2, 1)]
    assert [(r.line, pid) for r, pid in report.already] == [(5, 2)]
    assert [r.line for r in report.unmatched] == [4]
    assert report.outgoing == 1
    # The same transfer twice in one file counts once.
    twice = match_rows(rows[:1] * 2, {"010806817183": (1, PledgeStatus.PLEDGED)})
    assert len(twice.matched) == 1 and len(twice.already) == 1


def test_hat_bank_export_other_shapes() -> None:
    # Belfius (French), a few lines about the account before the header, quoted cells.
    belfius = (
        "Compte;BE68 5390 0754 7034\n\n"
        "Compte;Date de comptabilisation;Numéro d'extrait;Numéro de transaction;"
        "Compte contrepartie;Nom contrepartie contient;Rue et numéro;Code postal et localité;"
        "Transaction;Date valeur;Montant;Devise;BIC;Code pays;Communications\n"
        'BE68539007547034;04/12/2026;12;1;BE71096123456769;"Martin, Léa";;;VIREMENT;'
        "04/12/2026;15,5;EUR;GKCCBEBB;BE;+++010/8068/17183+++\n"
    )
    rows = parse_bank_csv(belfius)
    assert [(r.line, r.amount_cents, r.reference, r.counterparty) for r in rows] == [
        (4, 1550, "010806817183", "Martin, Léa")
    ]
    # KBC (Dutch), comma decimals; English with a point.
    kbc = "Rekeningnummer;Datum;Omschrijving;Bedrag;Naam tegenpartij;Mededeling\nBE68;04.12.2026;OVERSCHRIJVING;20,00;Jan;010806817183\n"
    assert parse_bank_csv(kbc)[0].amount_cents == 2000
    english = "Date,Amount,Counterparty,Description\n2026-12-04,7.5,Ann,+++010/8068/17183+++\n"
    assert parse_bank_csv(english)[0].amount_cents == 750


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("hello\nworld\n", "hat/import_no_header", None),
        ("Montant;Date\n10;x\n", "hat/import_no_columns", None),
        (
            BNP_EXPORT + "2026-0046;05/12/2026;05/12/2026;dix euros;EUR;BE;V;;X;;;;\n",
            "hat/import_bad_amount",
            6,
        ),
        (BNP_EXPORT + "2026-0046;05/12/2026\n", "hat/import_bad_row", 6),
        (BNP_EXPORT + "a;b;c;1,00;e;f;g;h;i;j;k;l;m;n;o;p\n", "hat/import_bad_row", 6),
    ],
)
def test_hat_malformed_bank_export_refused_whole_naming_the_line(
    text: str, code: str, line: int | None
) -> None:
    with pytest.raises(BadInput) as refused:
        parse_bank_csv(text)
    assert refused.value.code == code
    if line is not None:
        assert refused.value.params["line"] == line


def test_hat_progress_counts_only_received_as_received() -> None:
    found = progress(
        10000,
        [
            (2500, PledgeStatus.RECEIVED, None),
            (5000, PledgeStatus.PLEDGED, None),
            (1000, PledgeStatus.RECEIVED, 1200),  # the bank showed more than promised
        ],
    )
    assert (found.pledged_cents, found.received_cents) == (8500, 3700)
    assert (found.pledges, found.received) == (3, 2)
    assert (found.received_percent, found.pledged_percent, found.waiting_percent) == (37, 85, 48)
    over = progress(1000, [(5000, PledgeStatus.RECEIVED, None)])
    assert over.received_percent == 100 and over.pledged_percent == 100
