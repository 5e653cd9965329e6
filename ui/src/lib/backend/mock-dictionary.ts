// A representative slice of the error dictionary (schemas/errors.toml) for the mock backend.
// The real app serves the full dictionary from the Rust `dictionary` crate.

import type { DictEntry } from './types';

type Row = [code: string, source: DictEntry['source'], pl: [string, string, string], en: [string, string, string]];

const ROWS: Row[] = [
  [
    'ksef.invoice.100',
    'ksef',
    [
      'Przyjęta do przetwarzania',
      'KSeF otrzymał fakturę i rozpoczął jej weryfikację. Numer KSeF zostanie nadany po jej zakończeniu.',
      'Nic nie musisz robić — KSeF Desk sprawdzi wynik automatycznie.',
    ],
    [
      'Accepted for processing',
      'KSeF received the invoice and started verifying it. The KSeF number is assigned when it finishes.',
      'Nothing to do — KSeF Desk checks the result automatically.',
    ],
  ],
  [
    'ksef.invoice.200',
    'ksef',
    [
      'Faktura przyjęta',
      'KSeF przyjął fakturę i nadał jej numer KSeF. Od tej chwili faktura jest doręczona nabywcy.',
      'Nic nie musisz robić. UPO zostanie pobrane automatycznie.',
    ],
    [
      'Invoice accepted',
      'KSeF accepted the invoice and assigned its KSeF number. From now on it counts as delivered to the buyer.',
      'Nothing to do. The UPO is downloaded automatically.',
    ],
  ],
  [
    'ksef.invoice.450',
    'ksef',
    [
      'Błąd weryfikacji semantycznej',
      'KSeF odczytał fakturę, ale jej treść jest niespójna z zasadami FA(3), np. brakuje wymaganego pola dla danego rodzaju faktury albo kwoty się nie zgadzają.',
      'Popraw fakturę w systemie księgowym według szczegółów poniżej i zaimportuj ją ponownie.',
    ],
    [
      'Semantic verification error',
      'KSeF could read the invoice, but its content breaks FA(3) rules, e.g. a field required for this invoice type is missing or amounts do not add up.',
      'Correct the invoice in your accounting system using the details below and import it again.',
    ],
  ],
  [
    'ksef.invoice.440',
    'ksef',
    [
      'Duplikat faktury',
      'Faktura o tym samym numerze, NIP-ie sprzedawcy i rodzaju została już przyjęta przez KSeF.',
      'Sprawdź, czy to nie ta sama faktura. Jeśli tak, nic nie rób — numer KSeF oryginału znajdziesz w szczegółach.',
    ],
    [
      'Duplicate invoice',
      'An invoice with the same number, seller NIP and type has already been accepted by KSeF.',
      'Check whether it is the same invoice. If so, nothing to do — the original KSeF number is in the details.',
    ],
  ],
  [
    'ksef.invoice.430',
    'ksef',
    [
      'Błąd weryfikacji pliku',
      'Plik nie jest zgodny ze schematem XSD FA(3), więc KSeF go nie przyjął.',
      'Wygeneruj fakturę ponownie w programie księgowym; jeśli błąd się powtarza, zgłoś go dostawcy programu.',
    ],
    [
      'File verification error',
      'The file does not conform to the FA(3) XSD schema, so KSeF did not accept it.',
      'Generate the invoice again in your accounting software; if it keeps failing, report it to the vendor.',
    ],
  ],
  [
    'ksef.invoice.410',
    'ksef',
    [
      'Brak uprawnień do wystawienia faktury',
      'Token KSeF nie daje uprawnień do wystawiania faktur w imieniu tego sprzedawcy.',
      'Poproś administratora firmy w KSeF o nadanie uprawnienia „Wystawianie faktur” i wygeneruj nowy token.',
    ],
    [
      'No permission to issue invoices',
      'The KSeF token does not grant permission to issue invoices for this seller.',
      'Ask the company administrator in KSeF to grant the "Invoice issuing" permission and generate a new token.',
    ],
  ],
  [
    'ksef.invoice.550',
    'ksef',
    [
      'Anulowana przez system',
      'KSeF anulował przetwarzanie faktury z przyczyn technicznych po swojej stronie.',
      'Wyślij fakturę ponownie. KSeF Desk zrobi to automatycznie, jeśli faktura wróci do kolejki.',
    ],
    [
      'Cancelled by the system',
      'KSeF cancelled processing of the invoice for technical reasons on its side.',
      'Send the invoice again. KSeF Desk does so automatically once the invoice is back in the queue.',
    ],
  ],
  [
    'ksef.exception.21405',
    'ksef',
    [
      'Błąd walidacji danych wejściowych',
      'KSeF odrzucił żądanie, bo któraś z przesłanych wartości ma niepoprawny format.',
      'Sprawdź szczegóły błędu. Jeśli dotyczą danych faktury, popraw ją; w przeciwnym razie zgłoś błąd zespołowi KSeF Desk.',
    ],
    [
      'Input validation error',
      'KSeF rejected the request because one of the values sent has an invalid format.',
      'Check the error details. If they concern invoice data, correct the invoice; otherwise report the issue to the KSeF Desk team.',
    ],
  ],
  [
    'ksef.exception.21401',
    'ksef',
    [
      'Dokument niezgodny ze schematem',
      'Treść faktury nie przeszła walidacji XSD po stronie KSeF.',
      'Otwórz listę uwag poniżej — wskazują miejsce w pliku. Popraw fakturę u źródła.',
    ],
    [
      'Document does not match the schema',
      'The invoice content failed XSD validation on the KSeF side.',
      'Open the findings below — they point to the place in the file. Fix the invoice at its source.',
    ],
  ],
  [
    'ksef.http.429',
    'ksef',
    [
      'Przekroczony limit zapytań',
      'KSeF chwilowo ogranicza liczbę zapytań z tego adresu.',
      'Nic nie musisz robić — KSeF Desk odczeka wskazany czas i ponowi wysyłkę.',
    ],
    [
      'Rate limit exceeded',
      'KSeF is temporarily limiting the number of requests from this address.',
      'Nothing to do — KSeF Desk waits the indicated time and retries.',
    ],
  ],
  [
    'ksef.unavailable',
    'ksef',
    [
      'KSeF niedostępny',
      'System KSeF nie odpowiada lub zgłasza awarię. Faktury czekają bezpiecznie w kolejce.',
      'Poczekaj. Wysyłka wznowi się sama, gdy KSeF znów będzie dostępny.',
    ],
    [
      'KSeF unavailable',
      'KSeF is not responding or reports an outage. Invoices wait safely in the queue.',
      'Wait. Sending resumes on its own once KSeF is available again.',
    ],
  ],
  [
    'ksef.auth_expired',
    'ksef',
    [
      'Sesja KSeF wygasła',
      'Uwierzytelnienie w KSeF straciło ważność w trakcie pracy.',
      'Nic nie musisz robić — KSeF Desk zaloguje się ponownie. Jeśli błąd wraca, sprawdź token w Ustawieniach.',
    ],
    [
      'KSeF session expired',
      'Authentication with KSeF expired during work.',
      'Nothing to do — KSeF Desk signs in again. If it keeps happening, check the token in Settings.',
    ],
  ],
  [
    'ksef.outcome_unknown',
    'ksef',
    [
      'Nieznany wynik wysyłki',
      'Połączenie zerwało się po wysłaniu faktury, więc nie wiadomo, czy KSeF ją przyjął.',
      'Nic nie wysyłaj ponownie ręcznie — KSeF Desk sprawdzi status w KSeF i uzgodni wynik.',
    ],
    [
      'Unknown submission outcome',
      'The connection dropped after the invoice was sent, so it is unknown whether KSeF accepted it.',
      'Do not resend manually — KSeF Desk checks the status in KSeF and reconciles the result.',
    ],
  ],
  [
    'business.nip_checksum',
    'ours',
    [
      'Błędna suma kontrolna NIP',
      'Numer NIP nabywcy lub sprzedawcy ma niepoprawną cyfrę kontrolną — prawdopodobnie literówka.',
      'Porównaj NIP z dokumentami kontrahenta i popraw go w fakturze.',
    ],
    [
      'Invalid NIP checksum',
      'The buyer or seller NIP has an invalid check digit — most likely a typo.',
      "Compare the NIP with the counterparty's documents and correct it in the invoice.",
    ],
  ],
  [
    'business.issue_date_in_future',
    'ours',
    [
      'Data wystawienia w przyszłości',
      'Data wystawienia (P_1) jest późniejsza niż dzisiejsza. KSeF odrzuca takie faktury.',
      'Ustaw poprawną datę wystawienia w programie księgowym.',
    ],
    [
      'Issue date in the future',
      'The issue date (P_1) is later than today. KSeF rejects such invoices.',
      'Set the correct issue date in your accounting software.',
    ],
  ],
  [
    'ours.totals_mismatch',
    'ours',
    [
      'Suma faktury nie zgadza się z pozycjami',
      'Kwota należności ogółem (P_15) różni się od sumy wartości pozycji. KSeF przyjmie fakturę, ale może to być błąd.',
      'Sprawdź zaokrąglenia i pozycje faktury przed wysyłką.',
    ],
    [
      'Invoice total does not match the lines',
      'The total amount due (P_15) differs from the sum of the lines. KSeF accepts it, but it may be a mistake.',
      'Check rounding and the invoice lines before sending.',
    ],
  ],
  [
    'schema.invalid',
    'ksef',
    [
      'Niezgodność ze schematem FA(3)',
      'Plik narusza oficjalny schemat XSD FA(3) — KSeF by go odrzucił.',
      'Popraw wskazane pole w programie, który wygenerował fakturę, i zaimportuj ją ponownie.',
    ],
    [
      'FA(3) schema violation',
      'The file breaks the official FA(3) XSD — KSeF would reject it.',
      'Fix the indicated field in the software that generated the invoice and import it again.',
    ],
  ],
  [
    'xml.bom',
    'ksef',
    [
      'Znacznik BOM na początku pliku',
      'Plik zaczyna się od niewidocznego znacznika BOM, którego KSeF nie akceptuje.',
      'Zapisz plik jako UTF-8 bez BOM (w większości programów: „UTF-8” zamiast „UTF-8 z BOM”).',
    ],
    [
      'BOM at the start of the file',
      'The file starts with an invisible byte-order mark that KSeF does not accept.',
      'Save the file as UTF-8 without BOM (in most programs: "UTF-8" rather than "UTF-8 with BOM").',
    ],
  ],
  [
    'xml.malformed',
    'ksef',
    [
      'Uszkodzony plik XML',
      'Plik nie jest poprawnym dokumentem XML (np. brakuje znacznika zamykającego).',
      'Wygeneruj plik ponownie; nie edytuj faktur ręcznie w edytorze tekstu.',
    ],
    [
      'Malformed XML file',
      'The file is not a well-formed XML document (e.g. a closing tag is missing).',
      'Generate the file again; do not edit invoices by hand in a text editor.',
    ],
  ],
  [
    'engine.conflict',
    'engine',
    [
      'Konflikt z wcześniejszą fakturą',
      'Zaimportowano inną treść faktury o tym samym numerze i sprzedawcy, co faktura już znana.',
      'Porównaj obie wersje i zdecyduj, którą wysłać; drugą usuń.',
    ],
    [
      'Conflict with an earlier invoice',
      'Different content was imported for an invoice number and seller that are already known.',
      'Compare both versions and decide which one to send; remove the other.',
    ],
  ],
  [
    'engine.duplicate_foreign',
    'engine',
    [
      'Duplikat innej faktury w KSeF',
      'KSeF ma już inną fakturę tego sprzedawcy o tym numerze i rodzaju (np. wysłaną innym programem). KSeF Desk odłożył tę fakturę do konfliktów i nie wyśle jej ponownie.',
      'Sprawdź w KSeF fakturę o numerze KSeF podanym obok. Jeśli to ta sama faktura, oznacz ją jako wysłaną; jeśli inna, nadaj nowej fakturze inny numer.',
    ],
    [
      'Duplicate of another invoice in KSeF',
      'KSeF already holds a different invoice of this seller with this number and type (e.g. sent from another program). KSeF Desk moved this invoice to conflicts and will not send it again.',
      'Look up the invoice with the KSeF number shown in KSeF. If it is the same invoice, mark it as sent; if not, give the new invoice a different number.',
    ],
  ],
  [
    'engine.stuck',
    'engine',
    [
      'Faktura utknęła',
      'Faktura od dłuższego czasu czeka na wynik z KSeF, dłużej niż zwykle.',
      'Sprawdź stan KSeF na pulpicie. Jeśli KSeF działa, KSeF Desk sam uzgodni status; możesz też skontaktować się z pomocą.',
    ],
    [
      'Invoice stuck',
      'The invoice has been waiting for a KSeF result for longer than usual.',
      'Check KSeF status on the dashboard. If KSeF is up, KSeF Desk reconciles on its own; you can also contact support.',
    ],
  ],
  [
    'engine.attempts_exhausted',
    'engine',
    [
      'Wyczerpano próby wysyłki',
      'Faktura nie została przyjęta mimo wielu prób; KSeF Desk przestał ponawiać.',
      'Przeczytaj przyczynę ostatniej próby poniżej, usuń ją i wyślij fakturę ponownie.',
    ],
    [
      'Send attempts exhausted',
      'The invoice was not accepted despite many attempts; KSeF Desk stopped retrying.',
      'Read the cause of the last attempt below, remove it and send the invoice again.',
    ],
  ],
  [
    'engine.upo_missing',
    'engine',
    [
      'Brak UPO',
      'Faktura została przyjęta, ale urzędowe poświadczenie odbioru (UPO) nie zostało jeszcze pobrane.',
      'KSeF Desk ponawia pobieranie. Jeśli alert nie znika przez dobę, skontaktuj się z pomocą.',
    ],
    [
      'UPO missing',
      'The invoice was accepted, but the official receipt (UPO) has not been downloaded yet.',
      'KSeF Desk keeps retrying. If the alert persists for a day, contact support.',
    ],
  ],
  [
    'engine.upo_hash_mismatch',
    'engine',
    [
      'Niezgodny skrót UPO',
      'Pobrane UPO nie zgadza się ze skrótem podanym przez KSeF.',
      'KSeF Desk pobierze UPO ponownie. Nie przekazuj tego UPO dalej.',
    ],
    [
      'UPO hash mismatch',
      'The downloaded UPO does not match the hash KSeF reported.',
      'KSeF Desk downloads the UPO again. Do not pass this UPO on.',
    ],
  ],
  [
    'engine.import_unreadable',
    'engine',
    [
      'Nie można odczytać pliku',
      'Pliku nie udało się otworzyć (brak uprawnień, plik usunięty lub uszkodzony).',
      'Sprawdź, czy plik istnieje i czy masz do niego dostęp, a potem zaimportuj go ponownie.',
    ],
    [
      'File cannot be read',
      'The file could not be opened (no permission, deleted or damaged).',
      'Check that the file exists and you can access it, then import it again.',
    ],
  ],
  [
    'desk.keyring_unavailable',
    'engine',
    [
      'Brak systemowego magazynu haseł',
      'KSeF Desk nie może bezpiecznie zapisać tokenu KSeF, bo w systemie nie działa magazyn haseł (np. GNOME Keyring, KWallet).',
      'Uruchom magazyn haseł systemu i spróbuj ponownie. Tryb Sandbox działa bez tokenu.',
    ],
    [
      'System keyring unavailable',
      'KSeF Desk cannot store the KSeF token safely because no system keyring is running (e.g. GNOME Keyring, KWallet).',
      'Start the system keyring and try again. Sandbox mode works without a token.',
    ],
  ],
  [
    'desk.token_missing',
    'engine',
    [
      'Brak tokenu KSeF',
      'Aktywna firma nie ma zapisanego tokenu, więc nie można połączyć się z KSeF.',
      'Dodaj token w Ustawieniach → Firmy i środowiska.',
    ],
    [
      'KSeF token missing',
      'The active company has no stored token, so KSeF cannot be reached.',
      'Add the token in Settings → Companies and environments.',
    ],
  ],
  [
    'desk.connection_failed',
    'engine',
    [
      'Nie udało się połączyć z KSeF',
      'Test połączenia nie powiódł się: KSeF nie odpowiedział albo odrzucił token.',
      'Sprawdź połączenie z internetem i token. Jeśli KSeF ma awarię, spróbuj później.',
    ],
    [
      'Could not connect to KSeF',
      'The connection test failed: KSeF did not answer or rejected the token.',
      'Check the internet connection and the token. If KSeF is down, try again later.',
    ],
  ],
];

export const MOCK_DICTIONARY: DictEntry[] = ROWS.map(([code, source, pl, en]) => ({
  code,
  source,
  pl: { title: pl[0], explanation: pl[1], action: pl[2] },
  en: { title: en[0], explanation: en[1], action: en[2] },
}));
