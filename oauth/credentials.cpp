#include "oauth/credentials.h"

#include "util/subprocess.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace oauth {
namespace {

using util::Code;

std::string Trim(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

util::Result<std::string> ReadSecretFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return util::Error(Code::kInvalidArgument, std::string(what) + " " + path + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  std::string v = Trim(s.str());
  if (v.empty())
    return util::Error(Code::kInvalidArgument, std::string(what) + " " + path + ": empty");
  return v;
}

class FixedSource : public CredentialSource {
 public:
  FixedSource(std::string user, std::string password)
      : secret_{std::move(user), std::move(password), false} {}
  util::Result<Secret> Get(bool) override { return secret_; }

 private:
  Secret secret_;
};

class FileTokenSource : public CredentialSource {
 public:
  FileTokenSource(std::string user, std::string path)
      : user_(std::move(user)), path_(std::move(path)) {}
  util::Result<Secret> Get(bool) override {
    auto v = ReadSecretFile(path_, "access_token_file");
    if (!v.ok()) return v.status();
    return Secret{user_, std::move(v).value(), true};
  }

 private:
  std::string user_, path_;
};

class CommandTokenSource : public CredentialSource {
 public:
  CommandTokenSource(std::string user, std::string cmd, std::vector<std::string> env)
      : user_(std::move(user)), cmd_(std::move(cmd)), env_(std::move(env)) {}
  util::Result<Secret> Get(bool refresh) override {
    if (!refresh && !cached_.empty()) return Secret{user_, cached_, true};
    auto v = RunCommandForSecret(cmd_, env_);
    if (!v.ok()) return v.status();
    cached_ = *v;
    return Secret{user_, cached_, true};
  }

 private:
  std::string user_, cmd_, cached_;
  std::vector<std::string> env_;
};

}  // namespace

util::Result<std::string> RunCommandForSecret(const std::string& command,
                                              const std::vector<std::string>& pass_env) {
  util::ShellOptions opts;
  opts.pass_env = pass_env;
  opts.timeout = std::chrono::seconds(30);
  opts.max_output = 64 << 10;  // a JWT is a few KiB
  auto r = util::RunShell(command, "", /*capture=*/true, opts);
  if (!r.ok()) return util::Error(Code::kInternal, "access_token_command: " + r.status().message());
  if (r->timed_out) {
    return util::Error(Code::kTransient, "access_token_command did not finish within 30 s: killed");
  }
  if (r->truncated) {
    return util::Error(Code::kTransient,
                       "access_token_command printed more than 64 KiB: not a token, ignored");
  }
  if (r->exit_status != 0) {
    // The command's output may be a partial secret: never echo it.
    return util::Error(Code::kTransient,
                       "access_token_command exited with status " + std::to_string(r->exit_status));
  }
  std::string out = Trim(r->output);
  if (out.empty()) return util::Error(Code::kTransient, "access_token_command printed nothing");
  return out;
}

util::Result<std::unique_ptr<CredentialSource>> MakeCredentialSource(
    const config::AccountConfig& a) {
  const std::string user = a.username.empty() ? a.address : a.username;
  if (a.auth == config::Auth::kPassword) {
    if (!a.password_env.empty()) {
      const char* v = std::getenv(a.password_env.c_str());
      if (v == nullptr || *v == '\0') {
        return util::Error(Code::kInvalidArgument, "account " + a.name + ": password_env " +
                                                       a.password_env + " is not set");
      }
      return std::unique_ptr<CredentialSource>(std::make_unique<FixedSource>(user, v));
    }
    auto v = ReadSecretFile(a.password_file, "password_file");
    if (!v.ok())
      return util::Error(Code::kInvalidArgument, "account " + a.name + ": " + v.status().message());
    return std::unique_ptr<CredentialSource>(std::make_unique<FixedSource>(user, *v));
  }
  if (!a.access_token_command.empty()) {
    return std::unique_ptr<CredentialSource>(std::make_unique<CommandTokenSource>(
        user, a.access_token_command, a.access_token_command_env));
  }
  if (!a.access_token_file.empty()) {
    return std::unique_ptr<CredentialSource>(
        std::make_unique<FileTokenSource>(user, a.access_token_file));
  }
  return util::Error(Code::kInvalidArgument,
                     "account " + a.name +
                         ": auth = \"xoauth2\" needs access_token_command or "
                         "access_token_file (OAuth refresh is not configured)");
}

}  // namespace oauth
