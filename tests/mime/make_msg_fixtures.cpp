// Writes the Outlook .msg fixtures in fixtures/intake/msg/ with msg_builder
// (libgsf's OLE2 writer). They seed the .msg fuzz target and are wrapped into
// forwards by fixtures/intake/make_intake_world.py. Deterministic; rerun:
//   cmake --build build --target make_msg_fixtures &&
//   build/tests/mime/make_msg_fixtures fixtures/intake/msg
#include <cstdio>
#include <fstream>
#include <string>

#include "msg_builder.h"

namespace {

void Write(const std::string& dir, const char* name, const msgtest::MsgSpec& spec) {
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary);
  const std::string bytes = msgtest::BuildMsg(spec);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::printf("%s: %zu bytes\n", path.c_str(), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  msgtest::MsgSpec en;  // Outlook desktop, Unicode, with recipients and attachments
  en.subject = "Damaged order 4711";
  en.sender_name = "Jane Roe";
  en.sender_email = "jane.roe@customer.example";
  en.recipients = {{"Acme Support", "support@acme.example", 1},
                   {"Kai Berg", "kai.berg@acme.example", 2}};
  en.display_to = "Acme Support";
  en.display_cc = "Kai Berg";
  en.submit_time = 1794232800;  // 2026-11-09T14:00:00Z
  en.body = "Hello,\r\n\r\nmy order 4711 arrived with a broken mug.\r\n\r\nThanks,\r\nJane";
  en.html =
      "<html><body><p>Hello,</p><p>my order 4711 arrived with a broken mug.</p></body></html>";
  en.message_id = "<4711.jane@customer.example>";
  en.attachments = {{"delivery-note.pdf", "application/pdf", "%PDF-1.4\n% fixture\n%%EOF\n"}};
  Write(dir, "outlook_en.msg", en);

  msgtest::MsgSpec ru;  // an older Outlook: PT_STRING8 in code page 1251, Exchange sender
  ru.unicode = false;
  ru.codepage = 1251;
  ru.string8_charset = "WINDOWS-1251";
  ru.subject = "Повреждённый заказ 4711";
  ru.sender_name = "Иван Петров";
  ru.sender_addrtype = "EX";
  ru.sender_email = "/O=KLIENT/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=IPETROV";
  ru.sender_smtp = "ivan.petrov@klient.example";
  ru.recipients = {{"Acme Support", "support@acme.example", 1}};
  ru.submit_time = 1794229200;  // 2026-11-09T13:00:00Z
  ru.body = "Здравствуйте,\r\n\r\nмой заказ 4711 пришёл с разбитой кружкой.\r\n\r\nИван";
  Write(dir, "outlook_ru_ansi.msg", ru);

  msgtest::MsgSpec html;  // HTML-only body, date only in the transport headers
  html.subject = "Pedido 4711 dañado";
  html.sender_name = "Lucía Fernández";
  html.sender_email = "lucia@cliente.example";
  html.html = "<html><body><div>Hola,<br>mi pedido 4711 llegó dañado.</div></body></html>";
  html.transport_headers =
      "Received: from mx.cliente.example by mx.acme.example\r\n"
      "Date: Mon, 9 Nov 2026 15:00:00 +0100\r\nFrom: =?utf-8?q?Luc=C3=ADa?= "
      "<lucia@cliente.example>\r\n"
      "Message-ID: <4711.lucia@cliente.example>\r\n";
  Write(dir, "outlook_es_html.msg", html);
  return 0;
}
