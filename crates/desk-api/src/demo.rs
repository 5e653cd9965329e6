//! Realistic demo FA(3) invoices for the Sandbox: a pure function of a seeded RNG and "today".
//!
//! Buyers are varied Polish businesses with valid NIP check digits, 1–12 lines at 23/8/5/0/zw %
//! with VAT computed per rate on the net sums (rounded half away from zero, as Polish VAT is), all
//! dated within the current month up to today. About one in ten is deliberately broken (a future
//! issue date or truncated XML) so the user sees a rejection explained.

use std::fmt::Write as _;

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

/// Lines per invoice at most.
pub const DEMO_LINES_MAX: usize = 12;
/// One invoice in this many is deliberately invalid (on average).
pub const DEMO_INVALID_ONE_IN: u32 = 10;

/// The issuing company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    /// NIP (the KSeF context the invoices are sent under).
    pub nip: String,
    /// Name.
    pub name: String,
}

/// What a generated invoice is meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Passes every check.
    Valid,
    /// `P_1` after today: KSeF and our validator reject it.
    FutureIssueDate,
    /// Not well-formed XML.
    BrokenXml,
}

/// One generated invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoInvoice {
    /// Suggested file name.
    pub file_name: String,
    /// The document.
    pub xml: String,
    /// What it is meant to be.
    pub intent: Intent,
    /// Gross total in grosze (`P_15`).
    pub gross_minor: i64,
}

/// A VAT rate as written in `P_12`, with its summary fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rate {
    p12: &'static str,
    percent: i64,
    net_field: &'static str,
    vat_field: Option<&'static str>,
}

/// In the order the summary fields appear in the schema.
const RATES: [Rate; 5] = [
    Rate {
        p12: "23",
        percent: 23,
        net_field: "P_13_1",
        vat_field: Some("P_14_1"),
    },
    Rate {
        p12: "8",
        percent: 8,
        net_field: "P_13_2",
        vat_field: Some("P_14_2"),
    },
    Rate {
        p12: "5",
        percent: 5,
        net_field: "P_13_3",
        vat_field: Some("P_14_3"),
    },
    Rate {
        p12: "0 KR",
        percent: 0,
        net_field: "P_13_6_1",
        vat_field: None,
    },
    Rate {
        p12: "zw",
        percent: 0,
        net_field: "P_13_7",
        vat_field: None,
    },
];

/// Goods and services: name, unit, index into [`RATES`], unit net price range in grosze.
const ITEMS: [(&str, &str, usize, i64, i64); 16] = [
    ("Usługa doradztwa podatkowego", "godz.", 0, 15_000, 45_000),
    ("Laptop biurowy 14\"", "szt.", 0, 250_000, 600_000),
    ("Papier ksero A4, 500 ark.", "ryza", 0, 1_800, 3_200),
    ("Toner do drukarki laserowej", "szt.", 0, 12_000, 48_000),
    (
        "Licencja oprogramowania księgowego",
        "szt.",
        0,
        40_000,
        250_000,
    ),
    ("Serwis klimatyzacji", "usł.", 0, 30_000, 90_000),
    ("Catering — obiad firmowy", "os.", 1, 4_500, 12_000),
    ("Nocleg w hotelu", "doba", 1, 18_000, 45_000),
    ("Przewóz osób", "km", 1, 300, 900),
    ("Chleb żytni", "szt.", 2, 450, 1_200),
    ("Książka fachowa", "szt.", 2, 3_500, 15_000),
    ("Czasopismo branżowe", "egz.", 2, 1_200, 3_000),
    ("Eksport usługi projektowej", "usł.", 3, 100_000, 500_000),
    ("Szkolenie zawodowe", "os.", 4, 50_000, 200_000),
    ("Usługa medyczna", "usł.", 4, 15_000, 60_000),
    ("Kurs języka polskiego", "godz.", 4, 8_000, 20_000),
];

const BUYER_NAMES: [&str; 14] = [
    "Piekarnia Złoty Kłos sp. z o.o.",
    "Hurtownia Budowlana Kowalski i Syn",
    "Biuro Rachunkowe Żaneta Wiśniewska",
    "Zakład Stolarski Dąb s.c.",
    "Przychodnia Zdrowie Łódź sp. z o.o.",
    "Kwiaciarnia Róża Małgorzata Nowak",
    "Transport Ciężarowy Wójcik",
    "Szkoła Językowa Lingwa sp. z o.o.",
    "Apteka Pod Orłem s.c.",
    "Warsztat Samochodowy Górski",
    "Drukarnia Świt S.A.",
    "Restauracja Pod Gruszą Grzegorz Zając",
    "Agencja Reklamowa Źródło sp. z o.o.",
    "Gospodarstwo Ogrodnicze Kaczmarek",
];

const STREETS: [&str; 10] = [
    "ul. Marszałkowska",
    "ul. Piotrkowska",
    "ul. Długa",
    "al. Jerozolimskie",
    "ul. Świętokrzyska",
    "ul. Floriańska",
    "ul. Grunwaldzka",
    "ul. Kościuszki",
    "ul. Żeromskiego",
    "ul. Ogrodowa",
];

const CITIES: [(&str, &str); 10] = [
    ("00-001", "Warszawa"),
    ("30-001", "Kraków"),
    ("90-001", "Łódź"),
    ("50-001", "Wrocław"),
    ("60-001", "Poznań"),
    ("80-001", "Gdańsk"),
    ("70-001", "Szczecin"),
    ("20-001", "Lublin"),
    ("15-001", "Białystok"),
    ("40-001", "Katowice"),
];

/// NIP check-digit weights.
const NIP_WEIGHTS: [u32; 9] = [6, 5, 7, 2, 3, 4, 5, 6, 7];

/// A random NIP with a valid check digit, drawing again when the check digit would be 10 or the
/// prefix breaks the XSD's pattern (first digit not 0, second and third not both 0).
pub fn random_nip(rng: &mut impl Rng) -> String {
    loop {
        let mut digits = [0u32; 9];
        for (i, d) in digits.iter_mut().enumerate() {
            *d = if i == 0 {
                rng.gen_range(1..=9)
            } else {
                rng.gen_range(0..=9)
            };
        }
        if digits[1] == 0 && digits[2] == 0 {
            continue;
        }
        let check = digits
            .iter()
            .zip(NIP_WEIGHTS)
            .map(|(d, w)| d * w)
            .sum::<u32>()
            % 11;
        if check < 10 {
            let mut nip: String = digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
            nip.push(char::from(b'0' + check as u8));
            return nip;
        }
    }
}

/// `count` invoices of `seller`, dated in `today`'s month up to `today`. The same seed, seller
/// and day always give the same invoices; `batch` (e.g. a random number) keeps invoice numbers of
/// separate runs apart.
pub fn generate(
    rng: &mut impl Rng,
    seller: &Seller,
    today: NaiveDate,
    count: usize,
) -> Vec<DemoInvoice> {
    let batch: u32 = rng.gen_range(100_000..1_000_000);
    (1..=count)
        .map(|n| {
            let intent = if rng.gen_ratio(1, DEMO_INVALID_ONE_IN) {
                if rng.gen_bool(0.5) {
                    Intent::FutureIssueDate
                } else {
                    Intent::BrokenXml
                }
            } else {
                Intent::Valid
            };
            one(rng, seller, today, batch, n, intent)
        })
        .collect()
}

fn one(
    rng: &mut impl Rng,
    seller: &Seller,
    today: NaiveDate,
    batch: u32,
    n: usize,
    intent: Intent,
) -> DemoInvoice {
    let issue_date = match intent {
        Intent::FutureIssueDate => today + Duration::days(rng.gen_range(3..=20)),
        _ => today
            .with_day(rng.gen_range(1..=today.day()))
            .unwrap_or(today),
    };
    let number = format!("FV/{}/{:02}/D{batch}-{n:03}", today.year(), today.month());
    let buyer_nip = random_nip(rng);
    let buyer_name = pick(rng, &BUYER_NAMES);
    let (postcode, city) = pick(rng, &CITIES);
    let street = format!("{} {}", pick(rng, &STREETS), rng.gen_range(1..=180));

    // Lines, and net sums per rate (index into RATES).
    let line_count = rng.gen_range(1..=DEMO_LINES_MAX);
    let mut lines = String::new();
    let mut net_by_rate = [0i64; RATES.len()];
    for line_no in 1..=line_count {
        let (name, unit, rate_index, low, high) = pick(rng, &ITEMS);
        let quantity = rng.gen_range(1..=20i64);
        let unit_net = rng.gen_range(low..=high);
        let net = quantity * unit_net;
        if let Some(slot) = net_by_rate.get_mut(rate_index) {
            *slot += net;
        }
        let p12 = RATES.get(rate_index).map_or("23", |r| r.p12);
        let _ = write!(
            lines,
            "\t\t<FaWiersz>\n\t\t\t<NrWierszaFa>{line_no}</NrWierszaFa>\n\t\t\t<P_7>{}</P_7>\n\
             \t\t\t<P_8A>{}</P_8A>\n\t\t\t<P_8B>{quantity}</P_8B>\n\t\t\t<P_9A>{}</P_9A>\n\
             \t\t\t<P_11>{}</P_11>\n\t\t\t<P_12>{p12}</P_12>\n\t\t</FaWiersz>\n",
            escape(name),
            escape(unit),
            amount(unit_net),
            amount(net),
        );
    }

    let mut totals = String::new();
    let mut gross = 0i64;
    for (rate, net) in RATES.iter().zip(net_by_rate) {
        if net == 0 {
            continue;
        }
        let _ = writeln!(totals, "\t\t<{0}>{1}</{0}>", rate.net_field, amount(net));
        gross += net;
        if let Some(vat_field) = rate.vat_field {
            let vat = vat_of(net, rate.percent);
            let _ = writeln!(totals, "\t\t<{vat_field}>{}</{vat_field}>", amount(vat));
            gross += vat;
        }
    }
    let exempt = net_by_rate.get(4).is_some_and(|net| *net > 0);
    let exemption = if exempt {
        "<P_19>1</P_19>\n\t\t\t\t<P_19A>art. 43 ust. 1 pkt 29 ustawy o VAT</P_19A>"
    } else {
        "<P_19N>1</P_19N>"
    };

    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">
	<Naglowek>
		<KodFormularza kodSystemowy="FA (3)" wersjaSchemy="1-0E">FA</KodFormularza>
		<WariantFormularza>3</WariantFormularza>
		<DataWytworzeniaFa>{today}T08:00:00Z</DataWytworzeniaFa>
		<SystemInfo>KSeF Desk (demo)</SystemInfo>
	</Naglowek>
	<Podmiot1>
		<DaneIdentyfikacyjne>
			<NIP>{seller_nip}</NIP>
			<Nazwa>{seller_name}</Nazwa>
		</DaneIdentyfikacyjne>
		<Adres>
			<KodKraju>PL</KodKraju>
			<AdresL1>ul. Przykładowa 1</AdresL1>
			<AdresL2>00-950 Warszawa</AdresL2>
		</Adres>
	</Podmiot1>
	<Podmiot2>
		<DaneIdentyfikacyjne>
			<NIP>{buyer_nip}</NIP>
			<Nazwa>{buyer_name}</Nazwa>
		</DaneIdentyfikacyjne>
		<Adres>
			<KodKraju>PL</KodKraju>
			<AdresL1>{street}</AdresL1>
			<AdresL2>{postcode} {city}</AdresL2>
		</Adres>
		<JST>2</JST>
		<GV>2</GV>
	</Podmiot2>
	<Fa>
		<KodWaluty>PLN</KodWaluty>
		<P_1>{issue_date}</P_1>
		<P_1M>Warszawa</P_1M>
		<P_2>{number}</P_2>
{totals}		<P_15>{gross}</P_15>
		<Adnotacje>
			<P_16>2</P_16>
			<P_17>2</P_17>
			<P_18>2</P_18>
			<P_18A>2</P_18A>
			<Zwolnienie>
				{exemption}
			</Zwolnienie>
			<NoweSrodkiTransportu>
				<P_22N>1</P_22N>
			</NoweSrodkiTransportu>
			<P_23>2</P_23>
			<PMarzy>
				<P_PMarzyN>1</P_PMarzyN>
			</PMarzy>
		</Adnotacje>
		<RodzajFaktury>VAT</RodzajFaktury>
{lines}	</Fa>
</Faktura>
"#,
        seller_nip = escape(&seller.nip),
        seller_name = escape(&seller.name),
        buyer_name = escape(buyer_name),
        street = escape(&street),
        city = escape(city),
        gross = amount(gross),
    );
    if intent == Intent::BrokenXml {
        // Cut inside the line items: the document is no longer well-formed.
        let cut = xml.find("<FaWiersz>").unwrap_or(xml.len() / 2);
        xml.truncate(cut);
    }
    DemoInvoice {
        file_name: format!("demo-{batch}-{n:03}.xml"),
        xml,
        intent,
        gross_minor: gross,
    }
}

/// VAT on a net sum in grosze at `percent`, rounded half away from zero (net sums are positive).
pub fn vat_of(net_minor: i64, percent: i64) -> i64 {
    (net_minor * percent + 50) / 100
}

/// Grosze as a decimal amount, e.g. 123456 → "1234.56".
pub fn amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn pick<T: Copy>(rng: &mut impl Rng, items: &[T]) -> T {
    // The tables are non-empty constants; `gen_range` on 0..len is always in bounds.
    items[rng.gen_range(0..items.len())]
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_vat_round_like_polish_vat() {
        assert_eq!(amount(123_456), "1234.56");
        assert_eq!(amount(5), "0.05");
        assert_eq!(amount(-150), "-1.50");
        // 10.50 zł at 23 % = 2.415 → 2.42 (half up); 10.49 zł → 2.4127 → 2.41.
        assert_eq!(vat_of(1_050, 23), 242);
        assert_eq!(vat_of(1_049, 23), 241);
        assert_eq!(vat_of(1_000, 0), 0);
    }

    #[test]
    fn random_nips_pass_the_official_checksum() {
        let mut rng = engine::rng::seeded(1);
        for _ in 0..500 {
            let nip = random_nip(&mut rng);
            assert_eq!(nip.len(), 10);
            assert!(fa3::nip::check(&nip).is_ok(), "{nip}");
            assert!(!nip.starts_with('0') && &nip[1..3] != "00", "{nip}");
        }
    }
}
