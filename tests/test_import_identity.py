"""Who a row is (external id, else email, else phone, else name and company), whom an
import assigns, and who may import."""

import io

import pytest

from storage import LeadRepository, open_database
from triage.domain.models import Role, Stage, TeamMember
from triage.services import Services
from triage.domain.errors import RoleRefused
from logins import main_as


@pytest.fixture
def db(tmp_path):
    return "sqlite:///" + str(tmp_path / "identity.db")


def run(db, *args, login="marketing"):
    out = io.StringIO()
    return main_as(login, ["--db", db, *args], out=out), out.getvalue()


def stored(db):
    return list(LeadRepository(open_database(db)).list_leads())


FAIR = (
    "Vorname;Nachname;Firma;Telefon;Land;Kanal;Notiz\n"
    "Sabine;Krüger;Krüger GmbH;+49 (0)711 123456;DE;Messe;Stand 4\n"
    "Thomas;Becker;Becker AG;;DE;Messe;\n"
    "Jan;Wolf;Wolf KG;0711 555 0;DE;Messe;\n"
    "Eva;Wolf;Wolf KG;0711 555 0;DE;Messe;Kollegin von Jan\n"   # the same switchboard: another person
    "Karl;Zimmer;;+31 20 1234567;NL;Beurs;\n"
)


def test_a_file_without_emails_imported_twice_changes_nothing(db, tmp_path):
    path = tmp_path / "messe.csv"
    path.write_text(FAIR, encoding="utf-8")
    assert run(db, "import", str(path))[1].splitlines()[-1] == "imported 5, merged 0, rejected 0"
    before = [lead.model_dump() for lead in stored(db)]
    assert run(db, "import", str(path))[1].splitlines()[-1] == "imported 0, merged 5, rejected 0"
    after = [lead.model_dump() for lead in stored(db)]
    assert after == before and {lead["version"] for lead in after} == {1}


def test_a_second_file_with_more_data_merges_into_them(db, tmp_path):
    path = tmp_path / "messe.csv"
    path.write_text(FAIR, encoding="utf-8")
    run(db, "import", str(path))
    more = tmp_path / "nachfass.csv"
    more.write_text(
        "First name,Last name,Company,Phone,Email,Job title,Pages visited\n"
        "sabine,KRÜGER,krüger  gmbh,0049 711 123456,s.krueger@krueger.de,Leiterin Einkauf,4\n"  # by phone
        "Thomas,Becker,Becker  AG,,,CFO,2\n"                                                   # by name and company
        "Karl,Zimmer,,0031 20 123 4567,,,1\n"                                                  # by phone
        "Anna,Wolf,Wolf KG,0711 555 0,,Azubi,\n",  # the same phone, another last name: someone else
        encoding="utf-8")
    code, out = run(db, "import", str(more))
    assert out.splitlines()[-1] == "imported 1, merged 3, rejected 0", out
    leads = {(lead.first_name, lead.last_name): lead for lead in stored(db)}
    assert len(leads) == 6
    krueger = leads[("Sabine", "Krüger")]
    assert (krueger.email, krueger.job_title, krueger.pages_visited, krueger.version) == (
        "s.krueger@krueger.de", "Leiterin Einkauf", 4, 2)
    assert (leads[("Thomas", "Becker")].job_title, leads[("Karl", "Zimmer")].pages_visited) == ("CFO", 1)
    assert leads[("Anna", "Wolf")].job_title == "Azubi" and leads[("Eva", "Wolf")].notes == "Kollegin von Jan"
    # and now Sabine Krüger is known by her email too
    again = tmp_path / "web.csv"
    again.write_text("email,notes\nS.Krueger@krueger.de,Demo gewünscht\n", encoding="utf-8")
    assert run(db, "import", str(again))[1].splitlines()[-1] == "imported 0, merged 1, rejected 0"


def test_the_phone_of_a_lead_with_an_email_does_not_join_two_people(db, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("email,first_name,last_name,company,phone\n"
                    "anna@acme.de,Anna,Müller,Acme,+49 30 1234-0\n"
                    "bert@acme.de,Bert,Brandt,Acme,+49 30 1234-0\n"
                    ",Anna,Müller,Acme,\n", encoding="utf-8")  # no email, no phone: the name and company say who
    assert run(db, "import", str(path))[1].splitlines()[-1] == "imported 3, merged 0, rejected 0"


def test_external_ids_tell_apart_namesakes(db, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("Record ID,First Name,Last Name,Company Name\n1,Max,Maier,Acme\n2,Max,Maier,Acme\n"
                    "1,Max,Maier,Acme\n", encoding="utf-8")
    assert run(db, "import", str(path))[1].splitlines()[-1] == "imported 2, merged 1, rejected 0"


def _team(db):
    repo = LeadRepository(open_database(db))
    for member in (TeamMember(login="lena", name="Lena", role=Role.LEAD), TeamMember(login="anna", name="Anna"),
                   TeamMember(login="rita", name="Rita", role=Role.BOARD),
                   TeamMember(login="marketing", name="Marketing", role=Role.MARKETING)):
        repo.add_team_member(member)
    return repo


def test_an_import_assigns_only_the_leads_it_created(db, tmp_path):
    repo = _team(db)
    first = tmp_path / "first.csv"
    first.write_text("email,last_name\n" + "".join(f"old{n}@firma.de,Old{n}\n" for n in range(5)), encoding="utf-8")
    assert "assigned 5 new MQLs to the reps" in run(db, "import", str(first))[1]
    released = Services.open(repo, "lena").team.release("anna")  # the team lead sends them back to the pool
    assert len(released) == 5
    second = tmp_path / "second.csv"
    second.write_text("email,last_name\n" + "".join(f"new{n}@firma.de,New{n}\n" for n in range(4))
                      + "old0@firma.de,Old0\n", encoding="utf-8")
    code, out = run(db, "import", str(second))
    assert "assigned 4 new MQLs to the reps" in out and out.splitlines()[-1] == "imported 4, merged 1, rejected 0"
    owners = {lead.last_name: lead.owner for lead in stored(db)}
    assert {owners[f"New{n}"] for n in range(4)} == {"anna"}
    assert {owners[f"Old{n}"] for n in range(5)} == {None}  # the released leads stay in the pool


def test_assign_imported_takes_the_summary_and_skips_leads_taken_meanwhile(db, tmp_path):
    repo = _team(db)
    path = tmp_path / "leads.csv"
    path.write_text("email,last_name\na@firma.de,A\nb@firma.de,B\nc@firma.de,C\n", encoding="utf-8")
    marketing = Services.open(repo, "marketing")
    summary = marketing.transfer.import_file(path)
    assert summary.new_lead_ids == [1, 2, 3]
    Services.open(repo, "lena").team.reassign([2], "anna")
    assert marketing.team.assign_imported(summary) == 2
    assert all(lead.owner == "anna" for lead in stored(db))
    assert marketing.team.assign_imported(summary) == 0


def test_the_review_board_does_not_import(db, tmp_path, capsys):
    _team(db)
    path = tmp_path / "missing.csv"  # refused before the file is read: not "no such file"
    assert run(db, "import", str(path), login="rita") == (1, "")
    err = capsys.readouterr().err
    assert "only marketing or a team lead may import leads; rita is review board" in err and "no such file" not in err
    with pytest.raises(RoleRefused):
        Services.open(LeadRepository(open_database(db)), "rita").transfer.import_file(path)
    assert stored(db) == []
    path.write_text("email,last_name\na@firma.de,A\n", encoding="utf-8")
    assert run(db, "import", str(path), login="anna")[0] == 1  # nor does a rep: marketing and team leads do
    assert run(db, "import", str(path), login="marketing")[0] == 0
    assert [lead.stage for lead in stored(db)] == [Stage.MQL]


async def test_the_review_board_cannot_import_in_the_app(db, tmp_path):
    from test_app import SIZE, press, settle

    from screens.app import TriageApp

    repo = _team(db)
    path = tmp_path / "leads.csv"
    path.write_text("email,last_name\n" + "".join(f"l{n}@firma.de,L{n}\n" for n in range(20)), encoding="utf-8")
    app = TriageApp(Services.open(repo, "rita"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "i")
        await press(app, pilot, *str(path), "enter")
        await settle(app, pilot)
        assert any("review board" in str(n.message) and n.title == "Not imported" for n in app._notifications)
    assert stored(db) == []


def test_an_external_id_or_email_wins_over_a_phone_in_the_file(db, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("Record ID,Last Name,Company Name,Phone\n7,Brandt,Acme,+49 30 111111\n", encoding="utf-8")
    run(db, "import", str(first))
    second = tmp_path / "second.csv"
    second.write_text("Record ID,Last Name,Company Name,Phone,Job title\n"
                      ",Brandt,Acme,+49 30 222222,\n"   # new: no id, another phone than lead 7's
                      "7,Brandt,Acme,+49 30 222222,CTO\n", encoding="utf-8")  # the stored lead 7, by its id
    assert run(db, "import", str(second))[1].splitlines()[-1] == "imported 1, merged 1, rejected 0"
    by_id = {lead.external_id: lead for lead in stored(db)}
    assert (by_id["7"].job_title, by_id["7"].phone, by_id[""].job_title) == ("CTO", "+49 30 111111", "")
