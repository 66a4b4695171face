"""Files from German and Dutch marketing teams, and from ad platforms, import with no --map:
their column names, channels, interests, dates and numbers, in every text encoding."""

import codecs
import io
from datetime import datetime, timezone

import pytest

from storage import LeadRepository, open_database
from triage.domain import words
from triage.files.importing import ALIASES, CHANNEL_WORDS, INTEREST_WORDS, _channel, _interest, normalise, phone_key
from triage.domain.models import Channel, Credit, Interest
from logins import main_as


@pytest.fixture
def db(tmp_path):
    return "sqlite:///" + str(tmp_path / "words.db")


def run(db, *args):
    out = io.StringIO()
    return main_as("marketing", ["--db", db, *args], out=out), out.getvalue()


def leads(db):
    return {lead.last_name: lead for lead in LeadRepository(open_database(db)).list_leads()}


def at(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


GERMAN = (
    "Anrede;Vorname;Nachname;Firma;Position;E-Mail-Adresse;Telefon;Land;Kanal;Interesse;Erstellt am;Notiz;"
    "Bonität;Bestandskunde;Straße;PLZ;Ort;Seitenaufrufe\r\n"
    "Frau;Sabine;Krüger;Krüger Maschinenbau GmbH;Leiterin Einkauf;s.krueger@krueger-mb.de;+49 (0)711 123456;"
    "Deutschland;Messe;Demo-Anfrage;24.11.2026 14:05;\"Am Stand gesprochen,\r\nDemo im Januar\";B;nein;"
    "Hauptstraße 5;70173;Stuttgart;\"12,0\"\r\n"
    "Herr;Thomas;Becker;Becker Logistik AG;Geschäftsführer;t.becker@becker-logistik.de;0711 987654;DE;"
    "Webformular;Angebotsanfrage;24.11.26;Bitte Rückruf;A;ja;;;;3\r\n"
    "Herr;Jan;Wolf;Wolf & Partner;IT-Leiter;jan.wolf@wolf-partner.de;;Österreich;Kaltakquise;Anfrage;"
    "01-12-2026 9:30;;unbekannt;Nein;;;;\r\n"
    "Frau;Petra;Schulz;Schulz KG;Prokuristin;p.schulz@schulz-kg.de;;Schweiz;Empfehlung;Demo gewünscht;"
    "2026-11-30;Empfohlen von Herrn Wolf;C;Ja;;;;\r\n"
    "Herr;Lars;Vogel;Vogel GmbH;Einkäufer;l.vogel@vogel.de;;DE;Gekaufte Liste;;3.11.2026;;;;;;;\r\n"
    "Herr;Uwe;Koch;Koch AG;CFO;u.koch@koch.de;;DE;Messe Hannover 2026;Beratungsgespräch;27.11.2026, 10:15 Uhr;;"
    ";;;;;\r\n"
)
GERMAN_OTHER = (
    "Vorname,Name,Unternehmen,Funktion,E-Mail,Telefonnummer,Lead-Quelle,Art der Anfrage,Erstelldatum,Bemerkung,"
    "Kommentar,Kunde\n"
    "Eva,Richter,Richter Bau,Bauleiterin,eva@richter-bau.de,030 555,Kontaktformular,Angebot,05.11.2026,"
    "Preise für 20 Lizenzen,Kommentar zwei,x\n"
    "Karl,Zimmer,Zimmer Holz,Inhaber,karl@zimmer-holz.de,,Telefon,Demo-Anfrage,06.11.2026 08:00,,,\n"
    "Ida,Lang,Lang IT,CTO,ida@lang-it.de,,Newsletter,Produktdemo,07.11.26,,,\n"
    "Olaf,Kurz,Kurz Druck,Inhaber,olaf@kurz.de,,Partner,Kostenvoranschlag,08.11.2026,,,\n"
)
DUTCH = (
    "Aanhef;Voornaam;Achternaam;Bedrijfsnaam;Functie;E-mailadres;Telefoonnummer;Land;Kanaal;Interesse;"
    "Aangemaakt op;Opmerking;Kredietwaardigheid;Bestaande klant\n"
    "Mevrouw;Sanne;de Jong;De Jong Installatietechniek B.V.;Inkoper;sanne@dejong-it.nl;+31 (0)20 794 1234;"
    "Nederland;Beurs;Demo-aanvraag;24-11-2026 14:05;Gesproken op de beurs;B;nee\n"
    "De heer;Pieter;Bakker;Bakker Logistiek;Directeur;pieter@bakkerlogistiek.nl;06 12345678;NL;Webformulier;"
    "Offerteaanvraag;24-11-2026;Wil een offerte voor 5 gebruikers;A;ja\n"
    "De heer;Jeroen;Visser;Visser Bouw;Operationeel manager;jeroen@visserbouw.nl;;België;Doorverwijzing;"
    "Aanvraag;1-12-2026 9:30;;onbekend;Nee\n"
    "Mevrouw;Lotte;Smit;Smit & Co;Office manager;lotte@smit.nl;;Nederland;Aanbeveling;Offerte;2-11-26;;D;Ja\n"
    "De heer;Bas;Mulder;Mulder BV;IT-manager;bas@mulder.nl;;NL;Telefonisch;Adviesgesprek;03-11-2026;;;\n"
)
DUTCH_OTHER = (
    "Naam;Voornaam;Bedrijf;E-mail;Bron;Type aanvraag;Datum aangemaakt;Notitie;Klant\n"
    "Meijer;Femke;Meijer Zorg;femke@meijerzorg.nl;Vakbeurs Utrecht;Demo aanvraag;15-10-2026 11:00;Belt terug;nee\n"
    "de Boer;Ruud;De Boer Transport;ruud@deboer.nl;Nieuwsbrief;Prijsaanvraag;16-10-2026;;ja\n"
    "Dekker;Anouk;Dekker Media;anouk@dekker.nl;Gekochte lijst;Informatie;17-10-2026;;nee\n"
)
DUTCH_INFIX = (
    "Voornaam,Tussenvoegsel,Achternaam,Bedrijfsnaam,Mobiel,Land,Herkomst,Soort aanvraag,Aanmaakdatum,Notities\n"
    "Willem,van der,Berg,Van der Berg Techniek,06-12345678,Nederland,LinkedIn,Demo,28-11-2026 16:45,\"Eerste regel\n"
    "tweede regel\"\n"
    "Eva,,Jansen,Jansen Advies,,België,Google,Informatieaanvraag,29-11-2026,\n"
)


def test_a_german_file_imports_with_no_map(db, tmp_path):
    path = tmp_path / "messe.csv"
    path.write_bytes(GERMAN.encode("cp1252"))
    code, out = run(db, "import", str(path))
    assert code == 0, out
    assert "columns not mapped to a field, kept with each lead: Straße, PLZ, Ort" in out
    found = leads(db)
    krueger, becker, wolf, schulz, vogel, koch = (found[name] for name in ("Krüger", "Becker", "Wolf", "Schulz",
                                                                              "Vogel", "Koch"))
    assert (krueger.salutation, krueger.first_name, krueger.company, krueger.job_title) == (
        "Frau", "Sabine", "Krüger Maschinenbau GmbH", "Leiterin Einkauf")
    assert (krueger.channel, krueger.interest, krueger.is_handraiser) == (Channel.EVENT, Interest.DEMO_REQUEST, True)
    assert krueger.created_at == at(2026, 11, 24, 14, 5)
    assert krueger.notes == "Am Stand gesprochen,\r\nDemo im Januar"
    assert (krueger.creditworthiness, krueger.existing_customer, krueger.country) == (Credit.B, False, "DE")
    assert krueger.pages_visited == 12 and krueger.extra == {"Straße": "Hauptstraße 5", "PLZ": "70173",
                                                             "Ort": "Stuttgart"}
    assert (becker.channel, becker.interest, becker.created_at) == (Channel.WEB_FORM, Interest.QUOTE_REQUEST,
                                                                    at(2026, 11, 24))
    assert (becker.notes, becker.creditworthiness, becker.existing_customer) == ("Bitte Rückruf", Credit.A, True)
    assert (wolf.channel, wolf.interest, wolf.country, wolf.created_at) == (Channel.PHONE, Interest.INQUIRY, "AT",
                                                                            at(2026, 12, 1, 9, 30))
    assert (schulz.channel, schulz.interest, schulz.country) == (Channel.REFERRAL, Interest.DEMO_REQUEST, "CH")
    assert schulz.notes == "Empfohlen von Herrn Wolf" and schulz.existing_customer
    assert (vogel.channel, vogel.interest, vogel.created_at) == (Channel.PURCHASED_LIST, Interest.INQUIRY,
                                                                 at(2026, 11, 3))
    assert (koch.channel, koch.interest, koch.created_at) == (Channel.EVENT, Interest.DEMO_REQUEST,
                                                              at(2026, 11, 27, 10, 15))


def test_a_german_file_with_other_words(db, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(GERMAN_OTHER, encoding="utf-8")
    code, out = run(db, "import", str(path))
    assert code == 0, out
    assert "columns not mapped to a field, kept with each lead: Kommentar" in out  # a second notes column
    found = leads(db)
    richter, zimmer, lang, kurz = (found[name] for name in ("Richter", "Zimmer", "Lang", "Kurz"))
    assert (richter.first_name, richter.company, richter.job_title, richter.phone) == (
        "Eva", "Richter Bau", "Bauleiterin", "030 555")
    assert (richter.channel, richter.interest, richter.notes) == (Channel.WEB_FORM, Interest.QUOTE_REQUEST,
                                                                  "Preise für 20 Lizenzen")
    assert richter.existing_customer and richter.created_at == at(2026, 11, 5)
    assert richter.extra == {"Kommentar": "Kommentar zwei"}
    assert (zimmer.channel, zimmer.interest, zimmer.created_at) == (Channel.PHONE, Interest.DEMO_REQUEST,
                                                                    at(2026, 11, 6, 8))
    assert (lang.channel, lang.interest, lang.created_at) == (Channel.EMAIL, Interest.DEMO_REQUEST, at(2026, 11, 7))
    assert (kurz.channel, kurz.interest) == (Channel.PARTNER, Interest.QUOTE_REQUEST)


def test_dutch_files_import_with_no_map(db, tmp_path):
    path = tmp_path / "beurs.csv"
    path.write_text(DUTCH, encoding="utf-8-sig")
    code, out = run(db, "import", str(path))
    assert code == 0 and "not mapped" not in out, out
    found = leads(db)
    jong, bakker, visser, smit, mulder = (found[name] for name in ("de Jong", "Bakker", "Visser", "Smit", "Mulder"))
    assert (jong.salutation, jong.first_name, jong.job_title, jong.country) == ("Mevrouw", "Sanne", "Inkoper", "NL")
    assert (jong.channel, jong.interest, jong.is_handraiser) == (Channel.EVENT, Interest.DEMO_REQUEST, True)
    assert (jong.created_at, jong.notes, jong.creditworthiness) == (at(2026, 11, 24, 14, 5), "Gesproken op de beurs",
                                                                    Credit.B)
    assert (bakker.channel, bakker.interest, bakker.existing_customer) == (Channel.WEB_FORM, Interest.QUOTE_REQUEST,
                                                                           True)
    assert bakker.notes == "Wil een offerte voor 5 gebruikers" and bakker.created_at == at(2026, 11, 24)
    assert (visser.channel, visser.interest, visser.country, visser.created_at) == (
        Channel.REFERRAL, Interest.INQUIRY, "BE", at(2026, 12, 1, 9, 30))
    assert (smit.channel, smit.interest, smit.creditworthiness, smit.created_at) == (
        Channel.REFERRAL, Interest.QUOTE_REQUEST, Credit.D, at(2026, 11, 2))
    assert (mulder.channel, mulder.interest) == (Channel.PHONE, Interest.DEMO_REQUEST)

    other = tmp_path / "crm.csv"
    other.write_text(DUTCH_OTHER, encoding="utf-8")
    code, out = run(db, "import", str(other))
    assert code == 0 and "not mapped" not in out, out
    found = leads(db)
    meijer, boer, dekker = found["Meijer"], found["de Boer"], found["Dekker"]
    assert (meijer.first_name, meijer.company, meijer.channel, meijer.interest) == (
        "Femke", "Meijer Zorg", Channel.EVENT, Interest.DEMO_REQUEST)
    assert (meijer.created_at, meijer.notes) == (at(2026, 10, 15, 11), "Belt terug")
    assert (boer.channel, boer.interest, boer.existing_customer) == (Channel.EMAIL, Interest.QUOTE_REQUEST, True)
    assert (dekker.channel, dekker.interest) == (Channel.PURCHASED_LIST, Interest.INQUIRY)


def test_a_dutch_file_with_the_infix_apart_and_no_emails(db, tmp_path):
    path = tmp_path / "linkedin.csv"
    path.write_text(DUTCH_INFIX, encoding="utf-8")
    code, out = run(db, "import", str(path))
    assert code == 0 and "not mapped" not in out, out
    found = leads(db)
    berg, jansen = found["van der Berg"], found["Jansen"]
    assert (berg.first_name, berg.phone, berg.country, berg.channel, berg.interest) == (
        "Willem", "06-12345678", "NL", Channel.SOCIAL, Interest.DEMO_REQUEST)
    assert (berg.created_at, berg.notes) == (at(2026, 11, 28, 16, 45), "Eerste regel\ntweede regel")
    assert (jansen.country, jansen.channel, jansen.interest) == ("BE", Channel.ORGANIC_SEARCH, Interest.INQUIRY)
    assert run(db, "import", str(path))[1].splitlines()[-1] == "imported 0, merged 2, rejected 0"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom", "utf-16-le", "utf-16-be", "utf-32"])
def test_unicode_text_and_ad_platform_exports_in_utf16_and_utf32(db, tmp_path, encoding):
    text = ("full_name\temail\tphone_number\tcreated_time\tcampaign_name\tKanal\tInteresse\n"
            "Jörg van der Weiß\tjoerg@weiss.de\t+49 30 1234567\t2026-11-24T14:05:00+0100\tHerbst\tLinkedIn Ads\tDemo\n"
            "Zoë Ĳssel\tzoe@ijssel.nl\t\t2026-11-25T08:00:00+0000\tHerbst\tFacebook\tOfferte\n")
    if encoding == "utf-16-be-bom":
        raw = codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    else:
        raw = text.encode(encoding)
    path = tmp_path / "leads.txt"
    path.write_bytes(raw)
    code, out = run(db, "import", str(path))
    assert code == 0, out
    assert "columns not mapped to a field, kept with each lead: campaign_name" in out
    found = leads(db)
    weiss, zoe = found["Weiß"], found["Ĳssel"]
    assert (weiss.first_name, weiss.email, weiss.phone) == ("Jörg van der", "joerg@weiss.de", "+49 30 1234567")
    assert (weiss.channel, weiss.interest, weiss.created_at) == (Channel.PAID_ADS, Interest.DEMO_REQUEST,
                                                                 at(2026, 11, 24, 13, 5))
    assert (zoe.first_name, zoe.channel, zoe.interest) == ("Zoë", Channel.SOCIAL, Interest.QUOTE_REQUEST)
    assert weiss.extra == {"campaign_name": "Herbst"}


@pytest.mark.parametrize("text, day", [
    ("24.11.2026", at(2026, 11, 24)), ("24-11-2026", at(2026, 11, 24)), ("24.11.26", at(2026, 11, 24)),
    ("24.11.2026 14:05", at(2026, 11, 24, 14, 5)), ("24-11-26 9:05:30", at(2026, 11, 24, 9, 5, 30)),
    ("2026-11-24 14:05", at(2026, 11, 24, 14, 5)), ("24.11.2026, 14.05 Uhr", at(2026, 11, 24, 14, 5)),
    ("2026-11-24T14:05:00Z", at(2026, 11, 24, 14, 5)),
])
def test_dates_as_people_write_them(db, tmp_path, text, day):
    path = tmp_path / "dates.csv"
    path.write_text(f"E-Mail;Nachname;Erstellt am\na@firma.de;A;{text}\n", encoding="utf-8")
    assert run(db, "import", str(path))[0] == 0
    assert leads(db)["A"].created_at == day


def test_a_date_that_is_none_is_rejected_with_the_forms_that_work(db, tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text("E-Mail;Nachname;Erstellt am\na@firma.de;A;31.02.2026\nb@firma.de;B;gestern\n", encoding="utf-8")
    code, out = run(db, "import", str(path))
    assert code == 1
    rejects = (tmp_path / "dates.csv.rejects.csv").read_text(encoding="utf-8-sig")
    assert "'31.02.2026' is not a date (DD.MM.YYYY, DD-MM-YYYY or YYYY-MM-DD" in rejects and "'gestern'" in rejects


@pytest.mark.parametrize("table", [words.COLUMNS])
def test_no_column_name_means_two_fields(table):
    seen = {}
    for field, languages in table.items():
        for names in languages.values():
            for name in names:
                assert seen.setdefault(normalise(name), field) == field, name
                assert ALIASES[normalise(name)] == field


@pytest.mark.parametrize("table, convert", [(words.CHANNELS, lambda text: _channel(text)[0]),
                                            (words.INTERESTS, _interest)])
def test_every_value_word_means_one_thing_and_is_read_so(table, convert):
    seen = {}
    for meaning, languages in table.items():
        assert set(languages) == {"en", "de", "nl"}
        for names in languages.values():
            for name in names:
                assert seen.setdefault(normalise(name), meaning) == meaning, name
                assert convert(name) == meaning, name
                assert convert(name.upper()) == meaning, name


def test_values_as_spelled_in_files():
    assert {_channel(text)[0] for text in ("Messe", "Fachmesse München", "Beurs", "Vakbeurs", "Trade Show")} == {
        Channel.EVENT}
    assert {_channel(text)[0] for text in ("Webformular", "Kontaktformular", "Webformulier", "Contact form")} == {
        Channel.WEB_FORM}
    assert _channel("Google Ads – Kampagne Q3") == (Channel.PAID_ADS, True)
    assert _channel("Brieftaube") == (Channel.OTHER, False) and _channel("Sonstige") == (Channel.OTHER, True)
    assert {_interest(text) for text in ("Demo-Anfrage", "Demoanfrage", "Demo-aanvraag", "Demo request",
                                         "Produktvorführung", "Proefversie")} == {Interest.DEMO_REQUEST}
    assert {_interest(text) for text in ("Angebotsanfrage", "Offerteaanvraag", "Quote", "Preisanfrage")} == {
        Interest.QUOTE_REQUEST}
    assert {_interest(text) for text in ("Anfrage", "Aanvraag", "Enquiry", "")} == {Interest.INQUIRY}
    assert CHANNEL_WORDS["web form"] is Channel.WEB_FORM and INTEREST_WORDS["demo request"] is Interest.DEMO_REQUEST


def test_phone_numbers_are_the_same_however_written():
    assert phone_key("+49 (0)30 1234-567") == phone_key("0049301234567") == phone_key("030 1234567", "DE") == (
        "49301234567")
    assert phone_key("+49 030 1234567") == "49301234567" and phone_key("+39 06 1234 5678") == "390612345678"
    assert phone_key("030 1234567") == "0301234567" and phone_key("n/a") == "" and phone_key("-") == ""
