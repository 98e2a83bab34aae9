// Label tables of forwarded header blocks, one per client family.
//
// HOW TO ADD A LANGUAGE OR A CLIENT
//   1. Forward a mail with the client set to that language and copy, exactly
//      as printed: the separator line's words ("Forwarded message",
//      "Original Message"), the field labels without their colon, an
//      end-of-forward line if the client writes one, and the subject prefix.
//   2. Add one row to the family's table below (or a new table plus a line in
//      kFamilies). Alternatives go in one string separated by '|'. Case does
//      not matter; keep accents and scripts as the client prints them.
//   3. If the date uses month names, weekday-free words or an era the date
//      scanner does not know yet, add them to the tables at the top of
//      mime/forward_date.cpp (months, AM/PM markers, eras).
//   4. Add a fixture (fixtures/intake/make_intake_world.py) and run mime_test.
// Nothing else needs to change: the matcher (mime/forward.cpp) only asks
// mime/forward_labels.cpp which field a label names and what a line says.
//
// "forward" phrases make a forward whatever the subject says; "original"
// phrases (Outlook's "-----Original Message-----") also head quoted reply
// history, so the subject decides (see AcceptAmbiguous in forward.cpp).
// Sources: the clients' own locale strings as they print them (Outlook
// desktop/OWA/new Outlook, Gmail web and apps, Apple Mail macOS/iOS,
// Thunderbird's composeMsgs.properties, the regional webmails' UIs).
#include "mime/detail/forward_clients.h"

#include <iterator>

namespace mime::detail {
namespace {

// clang-format off
// lang, from, date, to, cc, subject, forward, original, end, prefix
constexpr ClientLocale kOutlook[] = {
    {"en", "From", "Sent|Date", "To", "Cc", "Subject", "", "Original Message", "", "FW|Fwd"},
    {"zh-Hans", "发件人", "发送时间|日期|时间", "收件人", "抄送|抄送人", "主题", "", "原始邮件|原始消息", "", "转发|FW"},
    {"zh-Hant", "寄件者|寄件人", "寄件日期|傳送時間|日期", "收件者|收件人", "副本|抄送", "主旨|主題", "", "原始郵件|原始訊息", "", "轉寄|轉送|FW"},
    {"ja", "差出人|送信者", "送信日時|日付", "宛先", "CC", "件名", "", "元のメッセージ|Original Message", "", "転送|FW"},
    {"ko", "보낸 사람", "보낸 날짜|날짜", "받는 사람", "참조", "제목", "", "원본 메시지", "", "전달|FW"},
    {"ar", "من|المرسل", "تم الإرسال|التاريخ|أرسلت|تاريخ الإرسال", "إلى", "نسخة|نسخة إلى", "الموضوع", "", "الرسالة الأصلية|الرسالة الاصلية", "", "إعادة توجيه|توجيه|FW"},
    {"he", "מאת", "נשלח|תאריך", "אל", "עותק", "נושא", "", "הודעה מקורית|ההודעה המקורית", "", "הועבר|FW"},
    {"el", "Από", "Στάλθηκε|Ημερομηνία|Απεστάλη", "Προς", "Κοιν.|Κοιν", "Θέμα", "", "Αρχικό μήνυμα", "", "ΠΡΘ|Προώθηση|FW"},
    {"th", "จาก", "ส่ง|วันที่|ส่งเมื่อ", "ถึง", "สำเนาถึง|สำเนา", "เรื่อง|ชื่อเรื่อง", "", "ข้อความต้นฉบับ", "", "FW|ส่งต่อ"},
    {"vi", "Từ|Người gửi", "Đã gửi|Ngày|Gửi", "Đến|Tới", "Cc|Đồng gửi", "Chủ đề|Tiêu đề", "", "Thư gốc|Thư Gốc", "", "FW|Chuyển tiếp"},
    {"tr", "Kimden", "Gönderildi|Tarih|Gönderilme", "Kime", "Bilgi|Cc", "Konu", "", "Özgün İleti|Orijinal Mesaj", "", "İLT|ILT|FW"},
    {"cs", "Od", "Odesláno|Datum", "Komu", "Kopie|Cc", "Předmět", "", "Původní zpráva", "", "FW|PŘ"},
    {"sk", "Od", "Odoslané|Dátum", "Komu", "Kópia|Cc", "Predmet", "", "Pôvodná správa", "", "FW|PP"},
    {"hu", "Feladó", "Elküldve|Dátum|Küldve", "Címzett", "Másolatot kap|Másolat", "Tárgy", "", "Eredeti üzenet", "", "TOV|Továbbítás|FW"},
    {"ro", "De la", "Trimis|Dată|Data", "Către|Catre", "Cc", "Subiect", "", "Mesaj original|Mesajul original", "", "FW|Redirecționare|Redirectionare"},
    {"uk", "Від", "Надіслано|Дата|Відправлено", "Кому", "Копія", "Тема", "", "Оригінальне повідомлення|Вихідне повідомлення", "", "FW|Пересл"},
    {"ru", "От", "Отправлено|Дата", "Кому", "Копия", "Тема", "", "Исходное сообщение|Оригинальное сообщение", "", "FW|Пересл"},
    {"pl", "Od", "Wysłano|Data|Wysłane", "Do", "DW|Do wiadomości", "Temat", "", "Oryginalna wiadomość|Wiadomość oryginalna", "", "PD|FW"},
    {"id", "Dari", "Dikirim|Tanggal|Terkirim", "Kepada|Ke", "Cc|Tembusan", "Subjek|Perihal", "", "Pesan Asli|Pesan asli", "", "FW|TRS|Terusan"},
    {"ms", "Daripada", "Dihantar|Tarikh", "Kepada", "Sk", "Subjek|Perkara", "", "Mesej Asal", "", "FW|MJ"},
    {"fi", "Lähettäjä", "Lähetetty|Päivämäärä", "Vastaanottaja", "Kopio", "Aihe", "", "Alkuperäinen viesti", "", "VL|FW"},
    {"sv", "Från", "Skickat|Datum", "Till", "Kopia", "Ämne", "", "Ursprungligt meddelande", "", "VB|FW"},
    {"da", "Fra", "Sendt|Dato", "Til", "Cc", "Emne", "", "Oprindelig meddelelse", "", "VS|FW"},
    {"nb", "Fra", "Sendt|Dato", "Til", "Kopi|Cc", "Emne", "", "Opprinnelig melding", "", "VS|FW"},
    {"de", "Von", "Gesendet|Datum", "An", "Cc", "Betreff", "", "Ursprüngliche Nachricht", "", "WG|FW"},
    {"nl", "Van", "Verzonden|Datum", "Aan", "CC", "Onderwerp", "", "Oorspronkelijk bericht", "", "Doorst|FW"},
    {"bg", "От", "Изпратено|Дата", "До", "Копие", "Тема", "", "Оригинално съобщение", "", "FW|Препр"},
    {"hr", "Šalje", "Poslano|Datum", "Prima", "Kopija", "Predmet", "", "Izvorna poruka", "", "FW|PROSLIJEDI"},
    {"sr", "Od", "Poslato|Datum", "Za", "Kopija", "Tema", "", "Originalna poruka", "", "FW"},
    {"sl", "Od", "Poslano|Datum", "Za", "Kp", "Zadeva", "", "Izvirno sporočilo", "", "FW|POSR"},
    {"lt", "Nuo", "Išsiųsta|Data", "Kam", "Kopija", "Tema", "", "Pradinis laiškas", "", "FW|PERS"},
    {"et", "Saatja", "Saadetud|Kuupäev", "Adressaat", "Koopia", "Teema", "", "Algsõnum", "", "FW|VS"},
    {"ca", "De", "Enviat el|Data", "Per a", "A/c", "Assumpte", "", "Missatge original", "", "FW|RV|Reenv"},
};

// Gmail localizes the separator and, depending on the version, either only
// the first label ("Von:", then English "Date:", "Subject:", "To:") or all
// of them; both forms are listed.
constexpr ClientLocale kGmail[] = {
    {"en", "From", "Date", "To", "Cc", "Subject", "Forwarded message", "", "", "Fwd"},
    {"zh-Hans", "发件人", "日期|时间", "收件人", "抄送", "主题", "转发的邮件|已转发邮件|转发邮件", "", "", "Fwd|转发"},
    {"zh-Hant", "寄件者|寄件人", "日期|時間", "收件者|收件人", "副本|抄送", "主旨|主題", "轉寄的郵件|轉寄郵件|已轉寄郵件", "", "", "Fwd|轉寄"},
    {"ja", "差出人|送信者", "日付|送信日時", "宛先", "Cc", "件名", "転送されたメッセージ|転送メッセージ", "", "", "Fwd|転送"},
    {"ko", "보낸사람|보낸 사람", "날짜|보낸 날짜", "받는사람|받는 사람", "참조", "제목", "전달된 메일|전달된 메시지|전달 메일", "", "", "Fwd|전달"},
    {"ar", "من", "التاريخ", "إلى", "نسخة", "الموضوع", "رسالة مُعاد توجيهها|رسالة معاد توجيهها|الرسالة المُعاد توجيهها|الرسالة المعاد توجيهها|رسالة مُعادة التوجيه|رسالة معادة التوجيه", "", "", "Fwd|إعادة توجيه"},
    {"he", "מאת", "תאריך", "אל", "עותק", "נושא", "הודעה שהועברה|הודעה מועברת", "", "", "Fwd|הועבר"},
    {"el", "Από", "Ημερομηνία", "Προς", "Κοιν.", "Θέμα", "Προωθημένο μήνυμα|Μήνυμα που προωθήθηκε", "", "", "Fwd|Προώθηση"},
    {"th", "จาก", "วันที่", "ถึง", "สำเนา|สำเนาถึง", "หัวเรื่อง|เรื่อง", "ข้อความที่ส่งต่อ|ข้อความที่ถูกส่งต่อ", "", "", "Fwd|ส่งต่อ"},
    {"vi", "Từ", "Ngày", "Tới|Đến", "Cc", "Tiêu đề|Chủ đề", "Thư đã chuyển tiếp|Thư được chuyển tiếp", "", "", "Fwd|Chuyển tiếp"},
    {"tr", "Kimden", "Tarih", "Kime", "Cc|Bilgi", "Konu", "İletilen ileti|İletilmiş ileti", "", "", "Fwd|İlt"},
    {"cs", "Od", "Datum", "Komu", "Kopie", "Předmět", "Přeposlaná zpráva|Přeposlaný e-mail", "", "", "Fwd|PŘ"},
    {"hu", "Feladó", "Dátum", "Címzett", "Másolatot kap|Másolat", "Tárgy", "Továbbított levél|Továbbított üzenet", "", "", "Fwd|Tov"},
    {"ro", "De la", "Dată|Data", "Către|Catre", "Cc", "Subiect", "Mesaj redirecționat|Mesaj redirectionat|Mesaj transmis", "", "", "Fwd"},
    {"uk", "Від", "Дата", "Кому", "Копія", "Тема", "Переслане повідомлення|Пересланий лист", "", "", "Fwd"},
    {"ru", "От", "Дата", "Кому", "Копия", "Тема", "Пересылаемое сообщение|Пересланное письмо|Пересланное сообщение", "", "", "Fwd"},
    {"id", "Dari", "Tanggal", "Kepada|Ke", "Cc", "Subjek|Perihal", "Pesan terusan|Pesan yang diteruskan", "", "", "Fwd|Trs"},
    {"ms", "Daripada", "Tarikh", "Kepada", "Sk", "Subjek", "Mesej dimajukan|Mesej yang dimajukan", "", "", "Fwd"},
    {"fi", "Lähettäjä", "Päivämäärä", "Vastaanottaja", "Kopio", "Aihe", "Välitetty viesti|Edelleenlähetetty viesti", "", "", "Fwd|VL"},
    {"sv", "Från", "Datum", "Till", "Kopia", "Ämne", "Vidarebefordrat meddelande|Vidarebefordrat mejl", "", "", "Fwd|VB"},
    {"da", "Fra", "Dato", "Til", "Cc", "Emne", "Videresendt meddelelse|Videresendt besked", "", "", "Fwd|VS"},
    {"nb", "Fra", "Dato", "Til", "Kopi", "Emne", "Videresendt melding|Videresendt e-post", "", "", "Fwd|VS"},
    {"pl", "Od", "Data", "Do", "DW", "Temat", "Przekazana wiadomość|Wiadomość przekazana dalej", "", "", "Fwd|PD"},
    {"hi", "प्रेषक", "दिनांक|तारीख", "प्रति", "प्रतिलिपि", "विषय", "अग्रेषित संदेश", "", "", "Fwd"},
    {"fa", "از", "تاریخ", "به", "رونوشت", "موضوع", "پیام بازارسال شده|پیام هدایت‌شده", "", "", "Fwd"},
};

// Apple Mail (macOS, iOS): "Begin forwarded message:" and a block with
// From/Subject/Date/To.
constexpr ClientLocale kAppleMail[] = {
    {"en", "From", "Date", "To", "Cc", "Subject", "Begin forwarded message", "", "", "Fwd"},
    {"zh-Hans", "发件人", "日期|时间", "收件人", "抄送", "主题", "转发的邮件|以下为转发的邮件|转发邮件", "", "", "转发"},
    {"zh-Hant", "寄件者|寄件人", "日期", "收件者|收件人", "副本", "主旨", "轉寄的郵件|開始轉寄的郵件", "", "", "轉寄"},
    {"ja", "差出人", "日付", "宛先", "Cc", "件名", "転送されたメッセージ|転送メッセージ", "", "", "転送"},
    {"ko", "보낸 사람", "날짜", "받는 사람", "참조", "제목", "전달된 메일|전달된 메시지", "", "", "전달"},
    {"ar", "من", "التاريخ", "إلى", "نسخة", "الموضوع", "بداية الرسالة المعاد توجيهها|بداية الرسالة المُعاد توجيهها", "", "", "إعادة توجيه"},
    {"he", "מאת", "תאריך", "אל", "עותק", "נושא", "תחילת הודעה שהועברה|הודעה שהועברה", "", "", "הועבר"},
    {"el", "Από", "Ημερομηνία", "Προς", "Κοιν.", "Θέμα", "Αρχή προωθημένου μηνύματος", "", "", "Προώθ"},
    {"th", "จาก", "วันที่", "ถึง", "สำเนา", "เรื่อง", "ข้อความที่ส่งต่อเริ่มต้น|เริ่มข้อความที่ส่งต่อ", "", "", "ส่งต่อ"},
    {"vi", "Từ", "Ngày", "Đến", "Cc", "Chủ đề", "Bắt đầu thư được chuyển tiếp", "", "", "Fwd"},
    {"tr", "Kimden", "Tarih", "Kime", "Bilgi", "Konu", "İleti başlangıcı|Başlangıç: iletilen ileti", "", "", "İlt"},
    {"hu", "Feladó", "Dátum", "Címzett", "Másolat", "Tárgy", "Továbbított levél kezdete", "", "", "Fwd"},
    {"ro", "De la", "Dată", "Către", "Cc", "Subiect", "Începe mesajul redirecționat", "", "", "Fwd"},
    {"uk", "Від", "Дата", "Кому", "Копія", "Тема", "Початок листа, що пересилається|Початок пересланого листа", "", "", "Fwd"},
    {"id", "Dari", "Tanggal", "Kepada", "Cc", "Subjek", "Awal pesan yang diteruskan", "", "", "Fwd"},
};

// Thunderbird ("-------- Forwarded Message --------", composeMsgs.properties)
// and the desktop/webmail clients that print the same shape: Evolution,
// Claws, Roundcube, Mutt, Proton, Zoho, Fastmail, Spark.
constexpr ClientLocale kThunderbirdLike[] = {
    {"en", "From", "Date", "To", "CC", "Subject", "Forwarded Message|Begin forwarded message", "Original Message", "End forwarded message|End of forwarded message", "Fwd"},
    {"zh-Hans", "发件人", "日期", "收件人", "抄送", "主题", "转发的消息", "原始消息", "", "Fwd"},
    {"zh-Hant", "寄件者", "日期", "收件者", "副本", "主旨", "轉寄郵件|轉寄的訊息", "原始訊息", "", "Fwd"},
    {"ja", "差出人", "日付", "宛先", "CC", "件名", "転送メッセージ", "元のメッセージ", "", "Fwd"},
    {"ko", "보낸 사람", "날짜", "받는 사람", "참조", "제목", "전달된 메시지", "원본 메시지", "", "Fwd"},
    {"ar", "من", "التاريخ", "إلى", "نسخة", "الموضوع", "رسالة ممرّرة|رسالة ممررة", "الرسالة الأصلية", "", "Fwd"},
    {"he", "מאת", "תאריך", "אל", "עותק", "נושא", "הודעה שהועברה|הודעה מועברת", "הודעה מקורית", "", "Fwd"},
    {"el", "Από", "Ημερομηνία", "Προς", "Κοιν.", "Θέμα", "Προωθημένο μήνυμα", "Αρχικό μήνυμα", "", "Fwd"},
    {"th", "จาก", "วันที่", "ถึง", "สำเนา", "หัวเรื่อง", "ข้อความที่ส่งต่อ", "ข้อความต้นฉบับ", "", "Fwd"},
    {"vi", "Từ", "Ngày", "Tới", "Cc", "Chủ đề", "Thư chuyển tiếp", "Thư gốc", "", "Fwd"},
    {"tr", "Kimden", "Tarih", "Kime", "Bilgi", "Konu", "İletilmiş İleti", "Özgün İleti", "", "Fwd"},
    {"cs", "Od", "Datum", "Komu", "Kopie", "Předmět", "Přeposlaná zpráva", "Původní zpráva", "", "Fwd"},
    {"hu", "Feladó", "Dátum", "Címzett", "Másolat", "Tárgy", "Továbbított üzenet", "Eredeti üzenet", "", "Fwd"},
    {"ro", "De la", "Dată", "Către", "CC", "Subiect", "Mesaj redirecționat", "Mesajul original", "", "Fwd"},
    {"uk", "Від", "Дата", "Кому", "Копія", "Тема", "Переслане повідомлення", "Оригінальне повідомлення", "", "Fwd"},
    {"ru", "От", "Дата", "Кому", "Копия", "Тема", "Перенаправленное сообщение", "Исходное сообщение", "Конец пересылаемого сообщения", "Fwd"},
    {"id", "Dari", "Tanggal", "Kepada", "CC", "Subjek", "Pesan Terusan", "Pesan Asli", "", "Fwd"},
    {"fi", "Lähettäjä", "Päiväys", "Vastaanottaja", "Kopio", "Aihe", "Välitetty viesti|Välitetty viesti / Fwd.Msg", "Alkuperäinen viesti", "", "VL"},
    {"sv", "Från", "Datum", "Till", "Kopia", "Ämne", "Vidarebefordrat meddelande", "Ursprungligt meddelande", "", "VB"},
    {"da", "Fra", "Dato", "Til", "Kopi", "Emne", "Videresendt meddelelse", "Oprindelig meddelelse", "", "VS"},
    {"nb", "Fra", "Dato", "Til", "Kopi", "Emne", "Videresendt melding", "Opprinnelig melding", "", "VS"},
    {"de", "Von", "Datum", "An", "Kopie", "Betreff", "Weitergeleitete Nachricht", "Ursprüngliche Nachricht|Original-Nachricht", "Ende der weitergeleiteten Nachricht", "WG|Fwd"},
    {"fr", "De", "Date", "Pour|À", "Copie à", "Sujet|Objet", "Message transféré", "Message original|Message d'origine", "Fin du message transféré", "TR|Fwd"},
    {"hr", "Šalje", "Datum", "Prima", "Kopija", "Predmet", "Proslijeđena poruka", "Izvorna poruka", "", "Fwd"},
    {"et", "Saatja", "Kuupäev", "Saaja", "Koopia", "Teema", "Edastatud kiri|Edasisaadetud kiri", "Algne kiri", "", "Fwd"},
    {"lt", "Nuo", "Data", "Kam", "Kopija", "Tema", "Persiųstas laiškas", "Originalus laiškas", "", "Fwd"},
    {"sl", "Od", "Datum", "Za", "Kp", "Zadeva", "Posredovano sporočilo", "Izvirno sporočilo", "", "Fwd"},
    {"ca", "De", "Data", "A", "A/c", "Assumpte", "Missatge reenviat", "Missatge original", "", "Fwd"},
    {"bg", "От", "Дата", "До", "Копие", "Тема", "Препратено писмо", "Оригинално писмо", "", "Fwd"},
};

// Regional webmail and mobile clients with their own shapes:
//   Samsung Email   "-------- Original message --------" / "-------- 원본 메시지 --------",
//                   From/Date/To/Subject, dates like "2026/11/02 10:00 (GMT+09:00)"
//   Naver           "-----Original Message-----", From/To/Cc/Sent/Subject
//   QQ Mail         "------------------ 原始邮件 ------------------", 发件人/发送时间/收件人/主题
//   163.com NetEase "-------- 转发邮件信息 --------", 发件人/发送日期/收件人/主题
//   Yandex          "-------- Пересылаемое сообщение --------", then a line
//                   "02.11.2026, 10:00, "Name" <a@x>:" (no labels), closed by
//                   "-------- Конец пересылаемого сообщения --------"
//   Mail.ru         "-------- Пересылаемое сообщение --------", От кого/Кому/Дата/Тема
//   GMX, Web.de     "Gesendet: Dienstag, 01. Dezember 2026 um 09:15 Uhr" above Von/An/Betreff
//   HCL Notes       "----- Forwarded by Name/Org on 02.11.2026 10:00 -----"
//   Mutt            "----- Forwarded message from Name <a@x> -----" ...
//                   "----- End forwarded message -----"
//   Zoho            "============ Forwarded message ============" before and after
//   Proton          "------- Forwarded Message -------"
const ClientLocale kRegional[] = {
    {"ko (Samsung)", "보낸 사람|보낸사람", "날짜", "받는 사람", "참조", "제목", "", "원본 메시지|원본 이메일", "", "Fwd|전달"},
    {"zh (QQ Mail)", "发件人", "发送时间", "收件人", "抄送", "主题", "", "原始邮件", "", "转发|Fw"},
    {"zh (NetEase 163/126)", "发件人", "发送日期|发送时间|日期", "收件人", "抄送人|抄送", "主题", "转发邮件信息|Forwarding messages", "原始邮件|原邮件", "", "Fw|转发"},
    {"ru (Yandex)", "От", "Дата", "Кому", "Копия", "Тема", "Пересылаемое сообщение", "", "Конец пересылаемого сообщения", "Fwd"},
    {"en (Yandex)", "From", "Date", "To", "Cc", "Subject", "Forwarded message", "", "End of forwarded message", "Fwd"},
    {"uk (Yandex)", "Від", "Дата", "Кому", "Копія", "Тема", "Пересилане повідомлення", "", "Кінець пересиланого повідомлення", "Fwd"},
    {"tr (Yandex)", "Kimden", "Tarih", "Kime", "Bilgi", "Konu", "İletilen mesaj", "", "İletilen mesajın sonu", "Fwd"},
    {"ru (Mail.ru)", "От кого|От", "Дата", "Кому", "Копия", "Тема", "Пересылаемое сообщение|Перенаправленное сообщение", "", "Конец пересылаемого сообщения", "Fwd"},
    {"de (GMX, Web.de)", "Von", "Gesendet|Datum", "An", "Cc|Kopie", "Betreff", "Weitergeleitete Nachricht", "", "", "Fwd|WG"},
    {"en (GMX, mail.com)", "From", "Sent|Date", "To", "Cc", "Subject", "Forwarded message", "", "", "Fwd"},
    {"en (HCL Notes)", "From", "Date", "To", "cc|Copy to", "Subject", "Forwarded by", "", "", "Fw"},
    {"de (HCL Notes)", "Von", "Datum", "An", "Kopie", "Thema|Betreff", "Weitergeleitet von", "", "", "Fw|WG"},
    {"en (Mutt)", "From", "Date", "To", "Cc", "Subject", "Forwarded message from", "", "End forwarded message", "Fwd"},
    {"de (Mutt)", "Von", "Datum", "An", "Cc", "Betreff", "Weitergeleitete Nachricht von", "", "Ende der weitergeleiteten Nachricht", "Fwd"},
    {"en (Zoho)", "From", "Date", "To", "Cc", "Subject", "Forwarded message", "", "", "Fwd"},
    {"en (Proton)", "From", "Date", "To", "CC", "Subject", "Forwarded Message", "Original Message", "", "Fwd"},
    {"en (Fastmail)", "From", "Date|Sent", "To", "Cc", "Subject", "Forwarded message", "Original message", "", "Fwd"},
    {"en (Spark)", "From", "Date", "To", "Cc", "Subject", "Forwarded message|Begin forwarded message", "", "", "Fwd"},
    {"en (Roundcube, Evolution, Claws)", "From", "Date", "To", "Cc", "Subject", "Forwarded Message|Begin forwarded message", "Original Message", "", "Fwd"},
};

constexpr ClientFamily kFamilies[] = {
    {"Outlook (desktop, web, new Outlook)", kOutlook, std::size(kOutlook)},
    {"Gmail", kGmail, std::size(kGmail)},
    {"Apple Mail", kAppleMail, std::size(kAppleMail)},
    {"Thunderbird and relatives", kThunderbirdLike, std::size(kThunderbirdLike)},
    {"Regional webmail and mobile", kRegional, std::size(kRegional)},
};
// clang-format on

}  // namespace

const ClientFamily* ClientFamilies(std::size_t* count) {
  *count = std::size(kFamilies);
  return kFamilies;
}

}  // namespace mime::detail
