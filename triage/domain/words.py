"""Marketing's own words: what files from English, German and Dutch teams call each field,
and how they name channels, interests, yes and no, and creditworthiness.

One table per field, each in the three languages (and HubSpot's names, in its English,
German and Dutch exports and as its internal property names). Entries are compared after
`triage.files.importing.normalise`: case, spaces, `-`, `_`, `/`, `.`, umlauts (ä = ae) and
accents do not matter, so `E-Mail-Adresse`, `e_mail adresse` and `EMAIL ADRESSE` are one.
"""

from __future__ import annotations

from triage.domain.language import N_, _, current, in_every_language
from triage.domain.models import Channel, Credit, Interest

# --- columns ------------------------------------------------------------------------------

#: The columns that name each field triage imports.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "external_id": {
        "en": ("external id", "id", "record id", "contact id", "lead id", "crm id", "source id", "reference",
               "hubspot id", "salesforce id", "hs object id", "vid"),
        "de": ("externe id", "datensatz id", "kontakt id", "kontakt nr", "kontaktnummer", "lead nr", "lead nummer",
               "referenz", "crm nummer"),
        "nl": ("externe id", "record id", "contact id", "contactnummer", "lead nummer", "referentie", "crm nummer"),
    },
    "salutation": {
        "en": ("salutation", "form of address", "prefix", "honorific"),
        "de": ("anrede", "briefanrede"),
        "nl": ("aanhef", "aanspreekvorm", "aanspreektitel"),
    },
    "first_name": {
        "en": ("first name", "firstname", "given name", "forename", "first"),
        "de": ("vorname", "rufname"),
        "nl": ("voornaam", "roepnaam"),
    },
    "last_name": {
        "en": ("last name", "lastname", "surname", "family name", "last"),
        "de": ("nachname", "familienname", "zuname"),
        "nl": ("achternaam", "familienaam"),
    },
    "email": {
        "en": ("email", "e mail", "email address", "e mail address", "mail", "work email", "business email",
               "email 1"),
        "de": ("e mail adresse", "emailadresse", "email adresse", "mailadresse", "e mail geschaeftlich", "geschaeftliche e mail"),
        "nl": ("e mailadres", "emailadres", "e mail adres", "email adres", "mailadres", "zakelijk e mailadres"),
    },
    "phone": {
        "en": ("phone", "phone number", "telephone", "telephone number", "tel", "work phone", "business phone",
               "office phone", "mobile", "mobile phone", "mobile phone number", "mobilephone", "cell", "cell phone",
               "phone 1"),
        "de": ("telefon", "telefonnummer", "telefonnr", "tel nr", "telefon geschaeftlich", "geschaeftliche telefonnummer",
               "rufnummer", "mobil", "mobiltelefon", "mobilnummer", "mobiltelefonnummer", "handy", "handynummer"),
        "nl": ("telefoon", "telefoonnummer", "tel nr", "telefoon zakelijk", "zakelijk telefoonnummer", "mobiel",
               "mobiel nummer", "mobiele telefoon", "mobiele telefoonnummer", "gsm", "gsm nummer"),
    },
    "company": {
        "en": ("company", "company name", "organisation", "organization", "organisation name", "organization name",
               "account", "account name", "business", "business name", "employer", "firm"),
        "de": ("firma", "firmenname", "unternehmen", "unternehmensname", "organisation", "arbeitgeber", "betrieb"),
        "nl": ("bedrijf", "bedrijfsnaam", "organisatie", "onderneming", "firma", "werkgever"),
    },
    "job_title": {
        "en": ("job title", "jobtitle", "title", "position", "role", "job", "job role", "function", "designation"),
        "de": ("position", "funktion", "berufsbezeichnung", "jobtitel", "stellenbezeichnung", "taetigkeit", "rolle"),
        "nl": ("functie", "functietitel", "functienaam", "functieomschrijving", "rol", "positie"),
    },
    "country": {
        "en": ("country", "country region", "country code", "nation"),
        "de": ("land", "land region", "laendercode", "staat"),
        "nl": ("land", "land regio", "landcode"),
    },
    "channel": {
        "en": ("channel", "source", "lead source", "original source", "original source type", "lead channel",
               "acquisition channel", "marketing channel", "origin", "lead origin", "source channel", "utm source",
               "campaign source",
               "how did you hear about us", "hs analytics source"),
        "de": ("kanal", "quelle", "herkunft", "lead quelle", "leadquelle", "originalquelle", "urspruengliche quelle",
               "akquisekanal", "eingangskanal", "eingangsweg", "kontaktweg", "kontaktquelle", "marketingkanal",
               "wie haben sie von uns erfahren"),
        "nl": ("kanaal", "bron", "herkomst", "leadbron", "lead bron", "bron lead", "oorspronkelijke bron", "oorsprong",
               "contactkanaal", "ingangskanaal", "contactbron",
               "acquisitiekanaal", "marketingkanaal", "hoe heeft u van ons gehoord", "hoe heb je van ons gehoord"),
    },
    "interest": {
        "en": ("interest", "interest level", "request", "request type", "type of request", "inquiry type",
               "enquiry type", "lead type", "conversion type"),
        "de": ("interesse", "anfrage", "anfrageart", "art der anfrage", "anfragetyp", "anliegen", "kontaktgrund",
               "interessenstufe", "interessengrad", "interessensgrad", "leadtyp", "lead typ"),
        "nl": ("interesse", "aanvraag", "soort aanvraag", "type aanvraag", "aanvraagtype", "verzoek",
               "soort verzoek", "soort lead", "leadtype", "type lead", "interesseniveau", "mate van interesse"),
    },
    "existing_customer": {
        "en": ("existing customer", "customer", "is customer", "current customer", "existing client", "client",
               "customer status"),
        "de": ("kunde", "bestandskunde", "bestehender kunde", "ist kunde", "kundenstatus"),
        "nl": ("bestaande klant", "klant", "is klant", "huidige klant", "klantstatus"),
    },
    "creditworthiness": {
        "en": ("creditworthiness", "credit rating", "credit score", "credit", "credit check"),
        "de": ("bonitaet", "bonitaetsstufe", "bonitaetsklasse", "bonitaetsindex", "bonitaetspruefung",
               "kreditwuerdigkeit"),
        "nl": ("kredietwaardigheid", "kredietscore", "kredietrating", "kredietbeoordeling"),
    },
    "notes": {
        "en": ("notes", "note", "comment", "comments", "remarks", "remark", "message", "your message", "description",
               "additional information", "details"),
        "de": ("notiz", "notizen", "bemerkung", "bemerkungen", "kommentar", "kommentare", "anmerkung", "anmerkungen",
               "nachricht", "ihre nachricht", "mitteilung", "beschreibung", "hinweis", "hinweise", "freitext",
               "zusatzinfo", "zusatzinformationen", "gespraechsnotiz", "gespraechsnotizen", "notiz kommentar"),
        "nl": ("notitie", "notities", "opmerking", "opmerkingen", "commentaar", "toelichting", "bericht",
               "uw bericht", "je bericht", "omschrijving", "beschrijving", "aantekening", "aantekeningen",
               "aanvullende informatie", "extra informatie", "gespreksnotitie", "gespreksverslag"),
    },
    "created_at": {
        "en": ("created at", "created", "create date", "created date", "creation date", "date created",
               "date added", "lead date", "submitted", "submitted at", "submission date", "signup date",
               "createdate", "created time", "timestamp", "date"),
        "de": ("erstellt am", "erstellt", "erstelldatum", "erstellungsdatum", "angelegt am", "anlagedatum",
               "datum der erstellung", "datum erstellt", "anlegedatum", "eingang", "eingangsdatum", "eingegangen am",
               "lead datum", "leaddatum", "kontaktdatum", "erstkontakt", "datum erstkontakt",
               "erfasst am", "erfassungsdatum", "registriert am",
               "zeitstempel", "datum"),
        "nl": ("aangemaakt op", "aangemaakt", "datum aangemaakt", "aanmaakdatum", "creatiedatum", "gecreeerd op",
               "gemaakt op", "toegevoegd op", "ingevoerd op", "leaddatum", "contactdatum", "eerste contact",
               "datum eerste contact",
               "ingediend op", "ontvangen op", "datum ontvangst", "aanmelddatum", "inschrijfdatum", "tijdstempel",
               "datum"),
    },
    "emails_opened": {
        "en": ("emails opened", "marketing emails opened", "email opens", "opens", "opened", "hs email open",
               "newsletters opened", "newsletter opens"),
        "de": ("e mails geoeffnet", "geoeffnete e mails", "marketing e mails geoeffnet", "oeffnungen",
               "newsletter geoeffnet", "geoeffnete newsletter", "mails geoeffnet"),
        "nl": ("e mails geopend", "geopende e mails", "marketing e mails geopend", "geopend",
               "nieuwsbrief geopend", "nieuwsbrieven geopend", "geopende nieuwsbrieven"),
    },
    "emails_clicked": {
        "en": ("emails clicked", "marketing emails clicked", "email clicks", "clicks", "clicked", "hs email click"),
        "de": ("e mails geklickt", "geklickte e mails", "angeklickte e mails", "marketing e mails geklickt", "klicks"),
        "nl": ("e mails geklikt", "geklikte e mails", "aangeklikte e mails", "marketing e mails geklikt", "kliks",
               "klikken"),
    },
    "pages_visited": {
        "en": ("pages visited", "page views", "pageviews", "number of pageviews", "number of page views",
               "website visits", "visits", "hs analytics num page views"),
        "de": ("seitenaufrufe", "anzahl seitenaufrufe", "anzahl der seitenaufrufe", "besuchte seiten",
               "website besuche", "besuche"),
        "nl": ("paginaweergaven", "aantal paginaweergaven", "bezochte paginas", "bezochte pagina s",
               "websitebezoeken", "bezoeken"),
    },
    "forms_filled": {
        "en": ("forms filled", "forms submitted", "form submissions", "number of form submissions", "conversions",
               "num conversion events"),
        "de": ("formulare ausgefuellt", "ausgefuellte formulare", "formulareinsendungen",
               "anzahl formulareinsendungen", "anzahl der formulareinsendungen", "formularabsendungen", "konversionen"),
        "nl": ("formulieren ingevuld", "ingevulde formulieren", "formulierinzendingen",
               "aantal formulierinzendingen", "conversies"),
    },
}

#: Columns known and deliberately not imported: triage decides these itself (stage, owner,
#: score, ...), in its own exports and in a CRM's.
NOT_IMPORTED: dict[str, tuple[str, ...]] = {
    "en": ("lifecycle stage", "lifecyclestage", "lead status", "hs lead status", "contact owner", "hubspot owner id",
           "owner", "stage", "score", "hubspot score", "grade", "recycle count", "version", "handed over at",
           "updated at", "updated by", "score breakdown", "rules version", "overrides", "last modified date"),
    "de": ("lebenszyklusphase", "lead status", "kontaktinhaber", "besitzer", "zuletzt geaendert"),
    "nl": ("levenscyclusfase", "leadstatus", "eigenaar contactpersoon", "eigenaar", "laatst gewijzigd"),
}

#: The Dutch infix of a last name ("de", "van der") in a column of its own: it goes before the
#: last name, as in "de Vries".
NAME_INFIX = ("tussenvoegsel", "tussenvoegsels", "tussenv", "voorvoegsel", "voorvoegsels", "infix", "namenszusatz")

#: A column of a person's whole name (ad platforms' lead exports): with a first name column
#: beside it, it is the last name (German and Dutch forms ask "Vorname" and "Name"); alone,
#: its last word is the last name and the words before it the first name.
FULL_NAME: dict[str, tuple[str, ...]] = {
    "en": ("name", "full name", "fullname", "contact name", "contact person"),
    "de": ("name", "vollstaendiger name", "kontaktname", "ansprechpartner", "ansprechpartnerin", "kontaktperson"),
    "nl": ("naam", "volledige naam", "contactnaam", "contactpersoon"),
}

# --- values -------------------------------------------------------------------------------

#: How files name each channel. A value that is none of these, nor contains one of
#: `CHANNEL_STEMS`, is kept with the lead and the channel is `other`.
CHANNELS: dict[Channel, dict[str, tuple[str, ...]]] = {
    Channel.WEB_FORM: {
        "en": ("web form", "webform", "website", "web", "online form", "contact form", "form", "website form",
               "landing page", "direct traffic", "direct", "inbound", "web inquiry", "web enquiry", "live chat",
               "chat", "online"),
        "de": ("webformular", "kontaktformular", "formular", "onlineformular", "online formular", "webseite",
               "homepage", "internet", "landingpage", "direkter traffic", "direktzugriff", "webanfrage",
               "internetanfrage", "online anfrage"),
        "nl": ("webformulier", "contactformulier", "formulier", "online formulier", "webpagina", "landingspagina",
               "direct verkeer", "webaanvraag", "online aanvraag"),
    },
    Channel.EMAIL: {
        "en": ("email", "e mail", "email marketing", "email campaign", "newsletter", "mailing", "mailchimp"),
        "de": ("e mail marketing", "e mail kampagne", "e mail anfrage", "email anfrage", "newsletter", "mailing",
               "rundmail"),
        "nl": ("e mailmarketing", "e mail marketing", "e mailcampagne", "e mail campagne", "e mail aanvraag",
               "nieuwsbrief", "mailing"),
    },
    Channel.EVENT: {
        "en": ("event", "events", "trade fair", "trade show", "tradeshow", "fair", "exhibition", "conference",
               "congress", "webinar", "seminar", "workshop", "roadshow", "meetup", "offline sources", "offline"),
        "de": ("messe", "fachmesse", "messestand", "veranstaltung", "kongress", "konferenz", "ausstellung", "tagung",
               "webinar", "seminar", "workshop", "roadshow", "offline quellen"),
        "nl": ("beurs", "vakbeurs", "beursstand", "evenement", "congres", "conferentie", "tentoonstelling",
               "webinar", "seminar", "workshop", "roadshow", "offline bronnen"),
    },
    Channel.PHONE: {
        "en": ("phone", "telephone", "call", "phone call", "inbound call", "outbound call", "cold call",
               "cold calling", "telemarketing", "hotline", "callback"),
        "de": ("telefon", "telefonisch", "telefonat", "anruf", "kaltakquise", "telefonakquise", "telefonmarketing",
               "hotline", "rueckruf"),
        "nl": ("telefoon", "telefonisch", "telefoongesprek", "gebeld", "koude acquisitie", "telefonische acquisitie",
               "telemarketing", "hotline", "terugbelverzoek"),
    },
    Channel.REFERRAL: {
        "en": ("referral", "referrals", "ai referrals", "recommendation", "recommended", "word of mouth",
               "customer referral", "referred"),
        "de": ("empfehlung", "weiterempfehlung", "kundenempfehlung", "mundpropaganda", "empfohlen", "verweise"),
        "nl": ("doorverwijzing", "aanbeveling", "verwijzing", "verwijzingen", "mond tot mond", "mond tot mondreclame",
               "klantaanbeveling", "aangeraden", "via via"),
    },
    Channel.PARTNER: {
        "en": ("partner", "partners", "channel partner", "reseller", "affiliate", "distributor", "dealer"),
        "de": ("vertriebspartner", "partnerempfehlung", "kooperationspartner", "haendler", "wiederverkaeufer"),
        "nl": ("partnerkanaal", "samenwerkingspartner", "wederverkoper", "distributeur"),
    },
    Channel.PAID_ADS: {
        "en": ("paid search", "paid social", "paid", "ads", "paid ads", "advertising", "advert", "ppc", "sem", "cpc",
               "google ads", "adwords", "linkedin ads", "facebook ads", "meta ads", "bing ads", "display",
               "display ads", "banner"),
        "de": ("bezahlte suche", "bezahlte soziale medien", "bezahlte anzeigen", "anzeige", "anzeigen", "werbung",
               "onlinewerbung", "online werbung", "sea", "bannerwerbung"),
        "nl": ("betaald zoeken", "betaalde zoekresultaten", "betaalde social", "betaalde sociale media",
               "betaalde advertenties", "advertentie", "advertenties", "online advertenties", "adverteren",
               "reclame"),
    },
    Channel.ORGANIC_SEARCH: {
        "en": ("organic search", "seo", "search", "search engine", "organic", "google", "bing"),
        "de": ("organische suche", "suchmaschine", "google suche", "suche", "organisch"),
        "nl": ("organisch zoeken", "organische zoekresultaten", "zoekmachine", "google zoeken", "zoeken", "organisch"),
    },
    Channel.SOCIAL: {
        "en": ("social media", "social", "organic social", "linkedin", "facebook", "instagram", "twitter", "x",
               "xing", "youtube", "tiktok"),
        "de": ("soziale medien", "soziale netzwerke", "organische soziale medien"),
        "nl": ("sociale media", "sociale netwerken", "organische social"),
    },
    Channel.PURCHASED_LIST: {
        "en": ("purchased list", "bought list", "list purchase", "purchased data", "lead list", "address list",
               "list"),
        "de": ("gekaufte liste", "gekaufte adressen", "gekaufte leads", "adresskauf", "listenkauf", "adressliste",
               "datenkauf", "liste"),
        "nl": ("gekochte lijst", "aangekochte lijst", "ingekochte lijst", "gekocht bestand", "gekochte leads",
               "adressenlijst", "adresbestand", "lijst"),
    },
    Channel.OTHER: {
        "en": ("other", "other campaigns", "misc", "miscellaneous", "unknown"),
        "de": ("sonstige", "sonstiges", "andere", "anderes", "andere kampagnen", "unbekannt"),
        "nl": ("overig", "overige", "anders", "overige campagnes", "onbekend"),
    },
}

#: Parts of a longer value ("Messe Hannover 2026", "Google Ads Kampagne Q3") that say the
#: channel, tried in this order when the whole value is in no table.
CHANNEL_STEMS: tuple[tuple[str, Channel], ...] = (
    ("ads", Channel.PAID_ADS), ("anzeige", Channel.PAID_ADS), ("advert", Channel.PAID_ADS),
    ("werbung", Channel.PAID_ADS), ("bezahlt", Channel.PAID_ADS), ("betaald", Channel.PAID_ADS),
    ("messe", Channel.EVENT), ("beurs", Channel.EVENT), ("webinar", Channel.EVENT), ("event", Channel.EVENT),
    ("evenement", Channel.EVENT), ("veranstaltung", Channel.EVENT), ("kongress", Channel.EVENT),
    ("congres", Channel.EVENT), ("konferenz", Channel.EVENT), ("conferen", Channel.EVENT),
    ("fair", Channel.EVENT), ("expo", Channel.EVENT),
    ("newsletter", Channel.EMAIL), ("nieuwsbrief", Channel.EMAIL), ("mailing", Channel.EMAIL),
    ("empfehlung", Channel.REFERRAL), ("aanbeveling", Channel.REFERRAL), ("verwijzing", Channel.REFERRAL),
    ("referral", Channel.REFERRAL), ("partner", Channel.PARTNER),
    ("formular", Channel.WEB_FORM), ("formulier", Channel.WEB_FORM), ("form", Channel.WEB_FORM),
    ("website", Channel.WEB_FORM), ("webseite", Channel.WEB_FORM),
    ("linkedin", Channel.SOCIAL), ("facebook", Channel.SOCIAL), ("instagram", Channel.SOCIAL),
    ("xing", Channel.SOCIAL), ("social", Channel.SOCIAL), ("soziale", Channel.SOCIAL), ("sociale", Channel.SOCIAL),
    ("telefon", Channel.PHONE), ("telefoon", Channel.PHONE), ("akquise", Channel.PHONE),
    ("acquisitie", Channel.PHONE), ("call", Channel.PHONE),
    ("liste", Channel.PURCHASED_LIST), ("lijst", Channel.PURCHASED_LIST),
)

#: How files name each interest. A demo request (also a request for a sales talk or a
#: trial) makes the lead a handraiser.
INTERESTS: dict[Interest, dict[str, tuple[str, ...]]] = {
    Interest.DEMO_REQUEST: {
        "en": ("demo", "demo request", "demo requested", "request a demo", "book a demo", "product demo",
               "demonstration", "trial", "free trial", "trial request", "sales call", "talk to sales",
               "contact sales", "meeting request", "consultation", "appointment"),
        "de": ("demo anfrage", "demoanfrage", "demo angefragt", "demo gewuenscht", "demotermin", "produktdemo",
               "vorfuehrung", "produktvorfuehrung", "beratung", "beratungsgespraech", "beratungstermin",
               "terminanfrage", "terminwunsch", "termin", "rueckrufbitte", "rueckrufwunsch", "rueckruf",
               "testversion", "testzugang",
               "kostenloser test"),
        "nl": ("demo aanvraag", "demoaanvraag", "demo aangevraagd", "productdemo", "demonstratie", "afspraak",
               "adviesgesprek", "kennismakingsgesprek", "terugbelverzoek", "belverzoek", "proefversie", "proefperiode",
               "gratis proefperiode"),
    },
    Interest.QUOTE_REQUEST: {  # and a high interest level: a concrete request
        "en": ("quote", "quote request", "request a quote", "quotation", "quotation request", "rfq", "rfp",
               "pricing", "price request", "price inquiry", "pricing request", "proposal", "offer", "estimate",
               "high", "very high", "hot"),
        "de": ("angebot", "angebotsanfrage", "angebot angefragt", "angebotsanforderung", "preisanfrage",
               "preisauskunft", "preise", "preisinformation", "kostenvoranschlag", "hoch", "sehr hoch", "heiss"),
        "nl": ("offerte", "offerteaanvraag", "offerte aanvraag", "offerte aangevraagd", "prijsopgave",
               "prijsaanvraag", "prijsofferte", "prijzen", "prijsinformatie", "aanbieding", "voorstel", "hoog",
               "zeer hoog", "heet"),
    },
    Interest.INQUIRY: {
        "en": ("inquiry", "enquiry", "general inquiry", "general enquiry", "question", "information", "info",
               "information request", "contact", "contact request", "request", "general", "download",
               "whitepaper", "ebook", "brochure", "newsletter", "newsletter signup", "contact us", "medium", "low",
               "cold", "warm", ""),
        "de": ("anfrage", "allgemeine anfrage", "frage", "information", "informationen", "infomaterial",
               "kontaktanfrage", "kontakt", "auskunft", "download", "whitepaper", "newsletter anmeldung",
               "produktinformation", "newsletter", "mittel", "niedrig", "gering", "kalt"),
        "nl": ("aanvraag", "algemene vraag", "algemene aanvraag", "vraag", "informatie", "informatieaanvraag",
               "info aanvraag", "contactaanvraag", "contact", "download", "whitepaper", "nieuwsbrief aanmelding",
               "brochure", "nieuwsbrief", "gemiddeld", "laag", "koud"),
    },
}

#: Parts of a longer value ("Demo gewünscht nächste Woche", "Bitte um Angebot") that say the
#: interest, strongest first.
INTEREST_STEMS: tuple[tuple[str, Interest], ...] = (
    ("demo", Interest.DEMO_REQUEST), ("vorfuehr", Interest.DEMO_REQUEST), ("trial", Interest.DEMO_REQUEST),
    ("proef", Interest.DEMO_REQUEST), ("beratung", Interest.DEMO_REQUEST), ("adviesgesprek", Interest.DEMO_REQUEST),
    ("angebot", Interest.QUOTE_REQUEST), ("offerte", Interest.QUOTE_REQUEST), ("quot", Interest.QUOTE_REQUEST),
    ("preis", Interest.QUOTE_REQUEST), ("prijs", Interest.QUOTE_REQUEST), ("pricing", Interest.QUOTE_REQUEST),
    ("anfrage", Interest.INQUIRY), ("aanvra", Interest.INQUIRY), ("inquir", Interest.INQUIRY),
    ("enquir", Interest.INQUIRY), ("info", Interest.INQUIRY), ("download", Interest.INQUIRY),
    ("whitepaper", Interest.INQUIRY), ("newsletter", Interest.INQUIRY), ("nieuwsbrief", Interest.INQUIRY),
    ("brochure", Interest.INQUIRY), ("kontakt", Interest.INQUIRY), ("contact", Interest.INQUIRY),
)

#: Yes and no, as a customer column says them.
YES: dict[str, tuple[str, ...]] = {
    "en": ("yes", "y", "true", "1", "x", "existing", "existing customer", "customer", "current customer", "client"),
    "de": ("ja", "j", "wahr", "bestandskunde", "kunde", "bestehender kunde"),
    "nl": ("ja", "j", "waar", "bestaand", "bestaande klant", "klant", "huidige klant"),
}
NO: dict[str, tuple[str, ...]] = {
    "en": ("no", "n", "false", "0", "", "new", "new customer", "prospect", "not a customer", "none"),
    "de": ("nein", "falsch", "neukunde", "neu", "interessent", "kein kunde"),
    "nl": ("nee", "onwaar", "nieuw", "nieuwe klant", "prospect", "geen klant"),
}

#: Creditworthiness: a rating A (best) to D, or not rated.
CREDIT: dict[Credit, dict[str, tuple[str, ...]]] = {
    Credit.A: {"en": ("a",), "de": ("a",), "nl": ("a",)},
    Credit.B: {"en": ("b",), "de": ("b",), "nl": ("b",)},
    Credit.C: {"en": ("c",), "de": ("c",), "nl": ("c",)},
    Credit.D: {"en": ("d",), "de": ("d",), "nl": ("d",)},
    Credit.UNKNOWN: {
        "en": ("unknown", "not rated", "unrated", "n a", "na", "none", "", "?"),
        "de": ("unbekannt", "nicht bewertet", "keine angabe", "ohne"),
        "nl": ("onbekend", "niet beoordeeld", "geen"),
    },
}

#: Country names in English, German and Dutch (and the odd French one) for the countries
#: leads mostly come from; a two-letter code always works.
COUNTRIES: dict[str, tuple[str, ...]] = {
    "DE": ("germany", "deutschland", "duitsland", "bundesrepublik deutschland", "brd"),
    "AT": ("austria", "oesterreich", "oostenrijk"),
    "CH": ("switzerland", "schweiz", "zwitserland", "suisse"),
    "NL": ("netherlands", "the netherlands", "nederland", "niederlande", "holland"),
    "BE": ("belgium", "belgie", "belgien", "belgique"),
    "LU": ("luxembourg", "luxemburg"),
    "GB": ("united kingdom", "uk", "great britain", "england", "scotland", "wales", "vereinigtes koenigreich",
           "grossbritannien", "verenigd koninkrijk", "groot brittannie"),
    "IE": ("ireland", "irland", "ierland"),
    "FR": ("france", "frankreich", "frankrijk"),
    "ES": ("spain", "spanien", "spanje"),
    "IT": ("italy", "italien", "italie"),
    "PL": ("poland", "polen"),
    "DK": ("denmark", "daenemark", "denemarken"),
    "SE": ("sweden", "schweden", "zweden"),
    "NO": ("norway", "norwegen", "noorwegen"),
    "US": ("united states", "usa", "united states of america", "vereinigte staaten", "verenigde staten"),
    "LI": ("liechtenstein",),
}

#: International calling codes, to read a national number ("030 1234567") as the same as
#: "+49 30 1234567" when the lead's country is known.
CALLING_CODES = {
    "DE": "49", "AT": "43", "CH": "41", "NL": "31", "BE": "32", "LU": "352", "GB": "44", "IE": "353", "FR": "33",
    "ES": "34", "IT": "39", "PL": "48", "DK": "45", "SE": "46", "NO": "47", "US": "1", "LI": "423",
}


# --- triage's own spreadsheets ---------------------------------------------------------------

#: The heading of each column of triage's exports where a spreadsheet shows it (XLSX). The
#: English heading is the column's name, as CSV and JSON write it always; German and Dutch
#: come from the catalogs, and an import reads them back (`export_headings`).
HEADINGS: dict[str, str] = {
    "id": N_("id"), "salutation": N_("salutation"), "first_name": N_("first_name"), "last_name": N_("last_name"),
    "email": N_("email"), "phone": N_("phone"), "job_title": N_("job_title"), "company": N_("company"),
    "country": N_("country"), "channel": N_("channel"), "interest": N_("interest"),
    "existing_customer": N_("existing_customer"), "creditworthiness": N_("creditworthiness"),
    "emails_opened": N_("emails_opened"), "emails_clicked": N_("emails_clicked"),
    "pages_visited": N_("pages_visited"), "forms_filled": N_("forms_filled"), "notes": N_("notes"),
    "external_id": N_("external_id"), "extra": N_("extra"), "score": N_("score"), "stage": N_("stage"),
    "owner": N_("owner"), "recycle_count": N_("recycle_count"), "version": N_("version"),
    "created_at": N_("created_at"), "handed_over_at": N_("handed_over_at"), "updated_at": N_("updated_at"),
    "updated_by": N_("updated_by"), "score_breakdown": N_("score_breakdown"), "rules_version": N_("rules_version"),
    "overrides": N_("overrides"), "grade": N_("grade"),
    # the returned leads, the suppression list and the balance
    "lead_id": N_("lead_id"), "name": N_("name"), "returned_at": N_("returned_at"), "returned_by": N_("returned_by"),
    "reason": N_("reason"), "path": N_("path"), "note": N_("note"), "review": N_("review"),
    "reviewed_by": N_("reviewed_by"), "reviewed_at": N_("reviewed_at"), "review_note": N_("review_note"),
    "stage_now": N_("stage_now"), "owner_now": N_("owner_now"), "afterwards": N_("afterwards"),
    "since": N_("since"), "rep": N_("rep"), "role": N_("role"), "capacity": N_("capacity"), "cap": N_("cap"),
    "open": N_("open"), "open <8h": N_("open <8h"), "open 8–24h": N_("open 8–24h"),
    "open 24–48h": N_("open 24–48h"), "open >48h": N_("open >48h"), "breached": N_("breached"),
    "soon_due": N_("soon_due"), "accepted_this_week": N_("accepted_this_week"),
    "returned_this_week": N_("returned_this_week"), "leads_30_days": N_("leads_30_days"),
    "points_30_days": N_("points_30_days"), "away_now": N_("away_now"),
}


#: The name of an export's sheet in a workbook, by export.
SHEETS = {"leads": N_("leads"), "returned": N_("returned"), "suppression": N_("suppression"),
          "balance": N_("balance")}


def sheet_name(kind: str) -> str:
    found = SHEETS.get(kind)
    return _(found) if found else kind


def heading(column: str) -> str:
    """A column's heading in a spreadsheet, in the language in use ("first_name", "Vorname")."""
    found = HEADINGS.get(column)
    if not found or current() == "en":
        return column
    text = _(found)
    return text[:1].upper() + text[1:]  # a heading starts with a capital, as the column's name in English does not


def export_headings() -> dict[str, tuple[str, ...]]:
    """The headings of each column of triage's exports in every language triage speaks,
    so that an import reads a German or Dutch export as it reads an English one."""
    return {column: tuple(in_every_language(text).values()) for column, text in HEADINGS.items()}
