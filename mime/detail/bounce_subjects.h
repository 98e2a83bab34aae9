// Subjects of non-delivery reports, for classify.cpp. Data only: add a
// language or an MTA's wording here, the matcher needs no change. All
// entries are lower case (compared against the case-folded subject) and
// match at the start of the subject, after any "[list]" tags; a reply or
// forward prefix ("Re:", "Fwd:", "AW:") means a person wrote it, so no
// entry matches behind one.
#pragma once

#include <string_view>

namespace mime::detail {

// Fixed subjects that mail servers write and people never type: enough on
// their own. (Exchange's "Undeliverable:" is not here: it is followed by
// the original subject, so anyone can write it; it is in kNdrSubjects.)
inline constexpr std::string_view kNdrTemplates[] = {
    "undelivered mail returned to sender",                // Postfix
    "delivery status notification (failure)",             // Gmail, Exchange
    "delivery status notification (delay)",               //
    "mail delivery failed: returning message to sender",  // Exim
    "returned mail: see transcript for details",          // Sendmail
    "warning: could not send message for past",           // Sendmail delay
    "failure notice",                                     // qmail (the whole subject)
};

// Wordings of delivery failure and delay in the languages mail servers and
// Exchange/Outlook/Gmail ship. Counted only together with a sign that a
// machine sent the mail (classify.cpp, MachineSign): a customer may well
// write "Delivery failed" about a parcel.
inline constexpr std::string_view kNdrSubjects[] = {
    // English
    "undeliverable",
    "undelivered",
    "non-deliverable",
    "nondeliverable",
    "non-delivery",
    "non delivery",
    "returned mail",
    "returned message",
    "mail returned",
    "message returned",
    "bounced mail",
    "mail delivery failed",
    "mail delivery failure",
    "mail delivery problem",
    "mail delivery warning",
    "mail delivery error",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "delivery notification",
    "delivery status notification",
    "delivery report",
    "delivery problem",
    "delivery warning",
    "delayed mail",
    "message delayed",
    "failure notice",
    "failure delivery",
    "failed mail",
    "failed delivery",
    "permanent delivery failure",
    "message delivery failure",
    "mail could not be delivered",
    "message could not be delivered",
    "your message could not be delivered",
    "message not delivered",
    "mail not delivered",
    "could not deliver",
    "mail system error",
    "mail error",
    "warning: message",
    "email delivery failure",
    // German
    "unzustellbar",
    "nicht zustellbar",
    "unzustellbare nachricht",
    "zustellung fehlgeschlagen",
    "fehlgeschlagene zustellung",
    "fehler bei der zustellung",
    "mail-zustellung fehlgeschlagen",
    "e-mail-zustellung fehlgeschlagen",
    "nachricht konnte nicht zugestellt werden",
    "benachrichtigung über den zustellstatus",
    "verzögerte zustellung",
    "rückläufer",
    // French
    "non remis",
    "message non remis",
    "échec de la remise",
    "echec de la remise",
    "échec de remise",
    "non distribuable",
    "message non distribué",
    "message non délivré",
    "courrier non délivré",
    "avis de non-remise",
    "rapport de non-remise",
    "notification d'état de remise",
    "impossible de remettre",
    "retour de courrier",
    "échec de la distribution",
    // Spanish
    "no se puede entregar",
    "no se pudo entregar",
    "no entregado",
    "no entregable",
    "mensaje no entregado",
    "imposible entregar",
    "error de entrega",
    "error en la entrega",
    "fallo en la entrega",
    "falla en la entrega",
    "entrega fallida",
    "correo devuelto",
    "mensaje devuelto",
    "notificación de estado de entrega",
    // Italian
    "non recapitabile",
    "mancato recapito",
    "impossibile recapitare",
    "recapito non riuscito",
    "messaggio non recapitato",
    "consegna non riuscita",
    "errore di consegna",
    "posta restituita",
    "notifica sullo stato della consegna",
    // Portuguese
    "não entregue",
    "não é possível entregar",
    "não foi possível entregar",
    "impossível entregar",
    "falha na entrega",
    "falha de entrega",
    "mensagem não entregue",
    "mensagem devolvida",
    "notificação de status de entrega",
    "notificação de estado de entrega",
    // Dutch
    "onbestelbaar",
    "onbestelbare",
    "niet afgeleverd",
    "niet bezorgd",
    "kan niet worden bezorgd",
    "bezorging mislukt",
    "aflevering mislukt",
    "afleveringsfout",
    // Russian, Ukrainian
    "недоставляемое сообщение",
    "недоставленное сообщение",
    "не доставлено",
    "сообщение не доставлено",
    "письмо не доставлено",
    "ваше сообщение не доставлено",
    "ошибка доставки",
    "уведомление о недоставке",
    "невозможно доставить",
    "возврат письма",
    "не вдалося доставити",
    "повідомлення не доставлено",
    // Japanese
    "配信不能",
    "配信エラー",
    "配送エラー",
    "配信失敗",
    "配送失敗",
    "未配信",
    "メール配信エラー",
    "送信エラー",
    "宛先不明",
    "未達",
    // Chinese (simplified, traditional)
    "无法投递",
    "无法送达",
    "退信",
    "系统退信",
    "邮件退回",
    "投递失败",
    "发送失败",
    "未送达",
    "無法傳遞",
    "無法投遞",
    "無法送達",
    "郵件退回",
    "傳遞失敗",
    "投遞失敗",
    // Polish
    "niedostarczalne",
    "nie można dostarczyć",
    "niedostarczona wiadomość",
    "wiadomość niedostarczona",
    "błąd dostarczenia",
    "nie dostarczono",
    "zwrot poczty",
    // Scandinavian, Finnish, Czech, Hungarian, Turkish, Korean, Greek, Romanian
    "olevererbart",
    "kunde inte levereras",
    "kan ikke leveres",
    "ikke leveret",
    "ikke levert",
    "ei voitu toimittaa",
    "toimitus epäonnistui",
    "nedoručitelné",
    "nedoručená zpráva",
    "nelze doručit",
    "kézbesíthetetlen",
    "nem kézbesíthető",
    "teslim edilemedi",
    "teslim edilemez",
    "iletilemedi",
    "배달 못 함",
    "배달 실패",
    "전송 실패",
    "δεν ήταν δυνατή η παράδοση",
    "μη παραδοτέο",
    "nelivrabil",
    "nu a putut fi livrat",
};

}  // namespace mime::detail
