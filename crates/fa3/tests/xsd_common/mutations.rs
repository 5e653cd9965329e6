//! Schema-targeted mutations of the official FA(3) samples, shared by the XSD differential test.
//!
//! Each mutation is a single textual edit (first occurrence) of one sample, aimed at one XSD rule.
//! A few edits are deliberately schema-neutral so the comparison also covers the "valid" verdict.

/// One textual edit of one official sample.
pub struct Mutation {
    /// What the edit breaks, printed when the validators disagree.
    pub name: &'static str,
    /// File name under `samples/fa3-valid`.
    pub sample: &'static str,
    /// Exact text that must occur in the sample (the first occurrence is replaced).
    pub find: &'static str,
    /// Replacement text.
    pub replace: String,
}

impl Mutation {
    /// Applies the edit, or explains why it no longer matches its sample.
    pub fn apply(&self, original: &str) -> Result<String, String> {
        if !original.contains(self.find) {
            return Err(format!(
                "mutation `{}`: `{}` not found in {}",
                self.name, self.find, self.sample
            ));
        }
        Ok(original.replacen(self.find, &self.replace, 1))
    }
}

fn m(name: &'static str, sample: &'static str, find: &'static str, replace: &str) -> Mutation {
    Mutation {
        name,
        sample,
        find,
        replace: replace.to_owned(),
    }
}

const S1: &str = "FA_3_Przyklad_1.xml";
const S3: &str = "FA_3_Przyklad_3.xml";
const S10: &str = "FA_3_Przyklad_10.xml";
const S24: &str = "FA_3_Przyklad_24.xml";

/// The mutation catalogue (at least 40 edits).
pub fn mutations() -> Vec<Mutation> {
    let long_p2 = format!("<P_2>{}</P_2>", "F".repeat(257));
    let long_city = format!("<P_1M>{}</P_1M>", "W".repeat(257));
    vec![
        // Required elements removed.
        m("remove required P_2", S1, "<P_2>FV2026/02/150</P_2>", ""),
        m("remove required P_1", S1, "<P_1>2026-02-15</P_1>", ""),
        m(
            "remove required KodWaluty",
            S1,
            "<KodWaluty>PLN</KodWaluty>",
            "",
        ),
        m(
            "remove required Naglowek/WariantFormularza",
            S1,
            "<WariantFormularza>3</WariantFormularza>",
            "",
        ),
        m("remove required P_15", S1, "<P_15>2051</P_15>", ""),
        m(
            "remove required RodzajFaktury",
            S1,
            "<RodzajFaktury>VAT</RodzajFaktury>",
            "",
        ),
        m(
            "remove required Podmiot1 NIP",
            S1,
            "<NIP>9999999999</NIP>",
            "",
        ),
        m("remove required Adnotacje/P_16", S1, "<P_16>2</P_16>", ""),
        m(
            "remove required NrWierszaFa",
            S1,
            "<NrWierszaFa>1</NrWierszaFa>",
            "",
        ),
        m(
            "remove required DataWytworzeniaFa",
            S1,
            "<DataWytworzeniaFa>2026-02-01T00:00:00Z</DataWytworzeniaFa>",
            "",
        ),
        // Order of elements.
        m(
            "reorder P_1 after P_1M",
            S1,
            "<P_1>2026-02-15</P_1>\r\n\t\t<P_1M>Warszawa</P_1M>",
            "<P_1M>Warszawa</P_1M>\r\n\t\t<P_1>2026-02-15</P_1>",
        ),
        m(
            "reorder KodWaluty after P_1",
            S1,
            "<KodWaluty>PLN</KodWaluty>\r\n\t\t<P_1>2026-02-15</P_1>",
            "<P_1>2026-02-15</P_1>\r\n\t\t<KodWaluty>PLN</KodWaluty>",
        ),
        m(
            "reorder P_17 before P_16",
            S1,
            "<P_16>2</P_16>\r\n\t\t\t<P_17>2</P_17>",
            "<P_17>2</P_17>\r\n\t\t\t<P_16>2</P_16>",
        ),
        // Enumerations.
        m(
            "bad enum RodzajFaktury",
            S1,
            "<RodzajFaktury>VAT</RodzajFaktury>",
            "<RodzajFaktury>FAKTURA</RodzajFaktury>",
        ),
        m(
            "bad enum RodzajFaktury lowercase",
            S1,
            "<RodzajFaktury>VAT</RodzajFaktury>",
            "<RodzajFaktury>vat</RodzajFaktury>",
        ),
        m(
            "bad enum P_12 rate",
            S1,
            "<P_12>23</P_12>",
            "<P_12>24</P_12>",
        ),
        m(
            "bad enum P_12 text",
            S1,
            "<P_12>5</P_12>",
            "<P_12>np</P_12>",
        ),
        m(
            "bad enum KodWaluty",
            S1,
            "<KodWaluty>PLN</KodWaluty>",
            "<KodWaluty>XYZ</KodWaluty>",
        ),
        m(
            "bad enum KodKraju",
            S1,
            "<KodKraju>PL</KodKraju>",
            "<KodKraju>QQ</KodKraju>",
        ),
        m(
            "bad enum FormaPlatnosci",
            S1,
            "<FormaPlatnosci>6</FormaPlatnosci>",
            "<FormaPlatnosci>9</FormaPlatnosci>",
        ),
        m(
            "bad enum P_16 value 3",
            S1,
            "<P_16>2</P_16>",
            "<P_16>3</P_16>",
        ),
        m(
            "bad enum Podmiot3 Rola",
            S10,
            "<Rola>4</Rola>",
            "<Rola>99</Rola>",
        ),
        // Dates and date-times.
        m(
            "bad date format P_1 (dd-mm-yyyy)",
            S1,
            "<P_1>2026-02-15</P_1>",
            "<P_1>15-02-2026</P_1>",
        ),
        m(
            "impossible date P_1",
            S1,
            "<P_1>2026-02-15</P_1>",
            "<P_1>2026-02-30</P_1>",
        ),
        m(
            "date out of TData range",
            S1,
            "<P_6>2026-01-27</P_6>",
            "<P_6>2051-01-27</P_6>",
        ),
        m(
            "bad dateTime DataWytworzeniaFa",
            S1,
            "<DataWytworzeniaFa>2026-02-01T00:00:00Z</DataWytworzeniaFa>",
            "<DataWytworzeniaFa>2026-02-01 00:00:00</DataWytworzeniaFa>",
        ),
        // Patterns.
        m(
            "NIP pattern: 9 digits",
            S1,
            "<NIP>9999999999</NIP>",
            "<NIP>999999999</NIP>",
        ),
        m(
            "NIP pattern: letters",
            S1,
            "<NIP>1111111111</NIP>",
            "<NIP>PL11111111</NIP>",
        ),
        m(
            "NIP pattern: leading zero",
            S1,
            "<NIP>9999999999</NIP>",
            "<NIP>0999999999</NIP>",
        ),
        m(
            "KRS pattern: 9 digits",
            S1,
            "<KRS>0000099999</KRS>",
            "<KRS>000009999</KRS>",
        ),
        m(
            "REGON pattern: 10 digits",
            S1,
            "<REGON>999999999</REGON>",
            "<REGON>9999999999</REGON>",
        ),
        // KodFormularza attributes.
        m(
            "wrong kodSystemowy (no space)",
            S1,
            "kodSystemowy=\"FA (3)\"",
            "kodSystemowy=\"FA(3)\"",
        ),
        m(
            "wrong wersjaSchemy",
            S1,
            "wersjaSchemy=\"1-0E\"",
            "wersjaSchemy=\"1-1E\"",
        ),
        m(
            "missing kodSystemowy attribute",
            S1,
            " kodSystemowy=\"FA (3)\"",
            "",
        ),
        m(
            "wrong KodFormularza value",
            S1,
            ">FA</KodFormularza>",
            ">FA_RR</KodFormularza>",
        ),
        m(
            "wrong WariantFormularza",
            S1,
            "<WariantFormularza>3</WariantFormularza>",
            "<WariantFormularza>2</WariantFormularza>",
        ),
        m(
            "unknown attribute on KodFormularza",
            S1,
            "wersjaSchemy=\"1-0E\"",
            "wersjaSchemy=\"1-0E\" extra=\"1\"",
        ),
        // Lengths.
        m(
            "too-long P_2 (257 chars)",
            S1,
            "<P_2>FV2026/02/150</P_2>",
            &long_p2,
        ),
        m(
            "too-long P_1M (257 chars)",
            S1,
            "<P_1M>Warszawa</P_1M>",
            &long_city,
        ),
        m(
            "empty required text P_2",
            S1,
            "<P_2>FV2026/02/150</P_2>",
            "<P_2></P_2>",
        ),
        m(
            "empty required text P_7",
            S1,
            "<P_7>lodówka Zimnotech mk1</P_7>",
            "<P_7/>",
        ),
        // Unknown elements and namespaces.
        m(
            "extra unknown element in Fa",
            S1,
            "<P_15>2051</P_15>",
            "<P_15>2051</P_15><Nieznany>1</Nieznany>",
        ),
        m(
            "extra unknown element at root",
            S1,
            "</Faktura>",
            "<Dodatek/></Faktura>",
        ),
        m(
            "wrong namespace on child P_2",
            S1,
            "<P_2>FV2026/02/150</P_2>",
            "<P_2 xmlns=\"urn:other\">FV2026/02/150</P_2>",
        ),
        m(
            "wrong root namespace (FA(2))",
            S1,
            "xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\"",
            "xmlns=\"http://crd.gov.pl/wzor/2023/06/29/12648/\"",
        ),
        m(
            "no namespace at all",
            S1,
            "xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\"",
            "",
        ),
        m(
            "etd-qualified child where FA(3) is expected",
            S1,
            "<P_2>FV2026/02/150</P_2>",
            "<etd:P_2>FV2026/02/150</etd:P_2>",
        ),
        // Numbers.
        m(
            "amount with 3 decimals P_13_1",
            S1,
            "<P_13_1>1666.66</P_13_1>",
            "<P_13_1>1666.666</P_13_1>",
        ),
        m(
            "amount with comma decimal P_15",
            S1,
            "<P_15>2051</P_15>",
            "<P_15>2051,00</P_15>",
        ),
        m(
            "amount not a number P_14_1",
            S1,
            "<P_14_1>383.33</P_14_1>",
            "<P_14_1>abc</P_14_1>",
        ),
        m(
            "too many total digits P_15",
            S1,
            "<P_15>2051</P_15>",
            "<P_15>12345678901234567.00</P_15>",
        ),
        m(
            "negative line number NrWierszaFa",
            S1,
            "<NrWierszaFa>1</NrWierszaFa>",
            "<NrWierszaFa>-1</NrWierszaFa>",
        ),
        m(
            "line number zero NrWierszaFa",
            S1,
            "<NrWierszaFa>1</NrWierszaFa>",
            "<NrWierszaFa>0</NrWierszaFa>",
        ),
        // Choice and structure.
        m(
            "bad enum TypKorekty",
            S3,
            "<TypKorekty>3</TypKorekty>",
            "<TypKorekty>4</TypKorekty>",
        ),
        m(
            "NrKSeF choice with both branches",
            S3,
            "<NrKSeF>1</NrKSeF>",
            "<NrKSeF>1</NrKSeF><NrKSeFN>1</NrKSeFN>",
        ),
        m(
            "attachment table column type bad",
            S24,
            "<Kol Typ=\"txt\">",
            "<Kol Typ=\"text\">",
        ),
        m(
            "duplicate Naglowek",
            S1,
            "</Naglowek>",
            "</Naglowek><Naglowek/>",
        ),
        // Schema-neutral edits: both validators must accept these.
        m(
            "neutral: comment inside Fa",
            S1,
            "<P_15>2051</P_15>",
            "<P_15>2051</P_15><!-- note -->",
        ),
        m(
            "neutral: other valid P_12 rate",
            S1,
            "<P_12>23</P_12>",
            "<P_12>8</P_12>",
        ),
        m(
            "neutral: amount with 2 decimals",
            S1,
            "<P_15>2051</P_15>",
            "<P_15>2051.00</P_15>",
        ),
        m(
            "neutral: whitespace around amount (collapse)",
            S1,
            "<P_15>2051</P_15>",
            "<P_15>  2051 </P_15>",
        ),
        m(
            "neutral: prefixed FA(3) namespace",
            S1,
            "<P_2>FV2026/02/150</P_2>",
            "<f:P_2 xmlns:f=\"http://crd.gov.pl/wzor/2025/06/25/13775/\">FV2026/02/150</f:P_2>",
        ),
        m(
            "neutral: 256-char P_2",
            S1,
            "<P_2>FV2026/02/150</P_2>",
            &format!("<P_2>{}</P_2>", "F".repeat(256)),
        ),
    ]
}
