#include "supervisor/handler_check.h"

#include <fcntl.h>
#include <json/json.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "base/install_paths.h"
#include "base/log.h"

extern char** environ;

namespace wsgw {
namespace {

namespace fs = std::filesystem;

constexpr int kProbeTimeoutMs = 5000;

// Reads `argv`'s stdout to its end (stderr is dropped). False when it cannot start, does not
// finish within `timeout_ms` (it is killed) or exits non-zero.
bool RunProbe(const std::vector<std::string>& argv, int timeout_ms, std::string* out) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // The gateway blocks SIGINT/SIGTERM for its loop; a probe must be killable as usual.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool finished = false;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    pollfd fd{pipe_fds[0], POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      finished = true;
      break;
    }
    out->append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  if (!finished) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  return finished && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Node.js: each job {name, root, handler} -> {name, expected, found} for a problem, or {name}.
constexpr char kNodeProbe[] = R"JS(
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const jobs = JSON.parse(process.argv[1]);
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const extensions = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
function declares(source, name) {
  if (/\bexport\s*\*\s*from\b/.test(source)) return true;
  if (name === 'default') return /\bexport\s+default\b|\bmodule\.exports\s*=/.test(source);
  const n = escape(name);
  return [
    `\\bexport\\s+(?:declare\\s+)?(?:async\\s+)?function\\s*\\*?\\s*${n}\\b`,
    `\\bexport\\s+(?:declare\\s+)?(?:const|let|var|class)\\s+${n}\\b`,
    `\\bexport\\s*\\{[^}]*\\b${n}\\s*(?:,|\\})`,
    `\\bexports\\.${n}\\s*=`,
    `\\bexports\\[\\s*['"\`]${n}['"\`]\\s*\\]\\s*=`,
    `\\bmodule\\.exports\\s*=\\s*\\{[^]*?\\b${n}\\b`,
  ].some((pattern) => new RegExp(pattern).test(source));
}
function declared(source) {
  const names = new Set();
  for (const m of source.matchAll(/\bexport\s+(?:declare\s+)?(?:async\s+)?(?:function\s*\*?|const|let|var|class)\s*([A-Za-z_$][\w$]*)/g)) names.add(m[1]);
  for (const m of source.matchAll(/\bexport\s*\{([^}]*)\}/g)) {
    for (const part of m[1].split(',')) {
      const words = part.trim().split(/\s+/);
      if (words[words.length - 1]) names.add(words[words.length - 1]);
    }
  }
  if (/\bexport\s+default\b/.test(source)) names.add('default');
  return [...names];
}
async function exportsOf(file) {
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 3000).unref());
  const loaded = await Promise.race([import(pathToFileURL(file).href).catch(() => null), timeout]);
  if (!loaded) return null;
  const names = new Set(Object.keys(loaded).filter((key) => key !== 'module.exports'));
  const fallback = loaded.default;
  if (fallback && (typeof fallback === 'object' || typeof fallback === 'function')) {
    for (const key of Object.keys(fallback)) names.add(key);
  }
  return [...names];
}
const list = (names) => (names.length ? `its exports are ${names.sort().join(', ')}` : 'it exports nothing');
const results = [];
for (const job of jobs) {
  const moduleAndHandler = path.basename(job.handler);
  const moduleRoot = job.handler.substring(0, job.handler.length - moduleAndHandler.length);
  const match = /^([^.]*)\.(.*)$/.exec(moduleAndHandler);
  if (!match) { results.push({ name: job.name }); continue; }
  const [, moduleName, handlerPath] = match;
  const exportName = handlerPath.split('.')[0];
  const base = path.resolve(job.root, moduleRoot, moduleName);
  const relative = path.relative(job.root, base) || moduleName;
  const isFile = (file) => { try { return fs.statSync(file).isFile(); } catch { return false; } };
  const file = [base, ...extensions.map((ext) => base + ext)].find(isFile);
  if (!file) {
    try {
      createRequire(path.join(job.root, 'package.json')).resolve(moduleName, { paths: [job.root, path.resolve(job.root, moduleRoot)] });
      results.push({ name: job.name });
      continue;
    } catch {}
    let others = [];
    try { others = fs.readdirSync(path.dirname(base)).filter((entry) => entry.startsWith(path.basename(base) + '.')); } catch {}
    const folder = path.dirname(base);
    results.push({
      name: job.name,
      expected: `a file ${relative}.js, .mjs, .cjs or .ts under ${job.root} (handler "${job.handler}")`,
      found: !fs.existsSync(folder) ? `no folder ${path.relative(job.root, folder) || folder}`
        : others.length ? `only ${others.join(', ')} there` : 'none of them',
    });
    continue;
  }
  const source = fs.readFileSync(file, 'utf8');
  if (declares(source, exportName)) { results.push({ name: job.name }); continue; }
  const typescript = /\.[mc]?ts$/.test(file);
  const names = typescript ? declared(source) : await exportsOf(file);
  if (names === null || names.includes(exportName)) { results.push({ name: job.name }); continue; }
  results.push({
    name: job.name,
    expected: `an export "${exportName}" in ${path.relative(job.root, file)} (handler "${job.handler}")`,
    found: `none: ${list(names)}`,
  });
}
process.stdout.write(JSON.stringify(results));
process.exit(0);
)JS";

constexpr char kPythonProbe[] = R"PY(
import ast, importlib.util, json, os, sys
jobs = json.loads(sys.argv[1])

def collect(body, names):
    """Top-level names of a module; False when some cannot be known (star imports, __getattr__)."""
    known = True
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            if node.name == "__getattr__":
                known = False
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    known = False
                else:
                    names.add(alias.asname or alias.name.split(".")[0])
        else:
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    known = collect(inner, names) and known
            for handler in getattr(node, "handlers", []) or []:
                known = collect(handler.body, names) and known
    return known

results = []
for job in jobs:
    root, handler = job["root"], job["handler"]
    modname, _, fname = handler.rpartition(".")
    dotted = modname.replace("/", ".")
    relative = dotted.replace(".", "/")
    base = os.path.join(root, relative)
    file = next((f for f in (base + ".py", os.path.join(base, "__init__.py")) if os.path.isfile(f)), None)
    if file is None:
        sys.path.insert(0, root)
        try:
            spec = importlib.util.find_spec(dotted.split(".")[0])
        except Exception:
            spec = None
        sys.path.pop(0)
        if spec is not None and "." not in dotted:
            results.append({"name": job["name"]})
            continue
        folder = os.path.dirname(base)
        stem = os.path.basename(base) + "."
        try:
            others = sorted(e for e in os.listdir(folder) if e.startswith(stem))
        except OSError:
            others = None
        found = ("no folder %s" % (os.path.relpath(folder, root)) if others is None
                 else "only %s there" % ", ".join(others) if others else "none of them")
        results.append({"name": job["name"],
                        "expected": 'a file %s.py (or %s/__init__.py) under %s (handler "%s")'
                                    % (relative, relative, root, handler),
                        "found": found})
        continue
    try:
        with open(file, "rb") as f:
            tree = ast.parse(f.read(), file)
    except SyntaxError as e:
        results.append({"name": job["name"],
                        "expected": "Python that parses in %s" % os.path.relpath(file, root),
                        "found": "a syntax error at line %s: %s" % (e.lineno, e.msg)})
        continue
    except (OSError, ValueError):
        results.append({"name": job["name"]})
        continue
    names = set()
    if not collect(tree.body, names) or fname in names:
        results.append({"name": job["name"]})
        continue
    defined = sorted(n for n in names if not n.startswith("_"))
    results.append({"name": job["name"],
                    "expected": 'a top-level "%s" (def %s(event, context)) in %s'
                                % (fname, fname, os.path.relpath(file, root)),
                    "found": "none: it defines %s" % ", ".join(defined) if defined
                             else "none: it defines nothing"})
sys.stdout.write(json.dumps(results))
)PY";

std::string RootOf(const FunctionConfig& function, const ApiConfig& api) {
  return function.codeDir.empty() ? api.dir : function.codeDir;
}

bool IsExecutable(const std::string& path) {
  std::error_code code;
  return fs::is_regular_file(path, code) && access(path.c_str(), X_OK) == 0;
}

bool OnPath(const std::string& name) {
  if (IsExecutable(ExecutableDirectory() + "/" + name)) return true;
  const char* path = std::getenv("PATH");
  std::string entries = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= entries.size()) {
    size_t end = entries.find(':', start);
    if (end == std::string::npos) end = entries.size();
    std::string folder = entries.substr(start, end - start);
    if (IsExecutable((folder.empty() ? "." : folder) + "/" + name)) return true;
    start = end + 1;
  }
  return false;
}

void CheckCommand(const ApiConfig& api, const FunctionConfig& function,
                  std::vector<ConfigProblem>* problems) {
  if (function.command.empty()) return;
  const std::string& program = function.command.front();
  const std::string path = "$.functions." + function.name + ".command[0]";
  if (program.find('/') == std::string::npos) {
    if (!OnPath(program)) {
      problems->push_back({api.file, path,
                           "a program beside wsgw-emulate or on PATH",
                           "no program \"" + program + "\" there"});
    }
    return;
  }
  std::error_code code;
  if (!fs::exists(program, code)) {
    problems->push_back({api.file, path, "an executable file", "no file " + program});
  } else if (!IsExecutable(program)) {
    problems->push_back({api.file, path, "an executable file",
                         program + ", which is not an executable file (chmod +x?)"});
  }
}

// Runs one probe over every `runtime` function of `runtime_name` and adds its problems.
void CheckRuntime(const ApiConfig& api, const std::string& runtime_name,
                  std::vector<ConfigProblem>* problems) {
  Json::Value jobs(Json::arrayValue);
  for (const auto& [name, function] : api.functions) {
    if (function.kind != FunctionConfig::Kind::kRuntime || function.runtime != runtime_name) {
      continue;
    }
    Json::Value job(Json::objectValue);
    job["name"] = name;
    job["root"] = RootOf(function, api);
    job["handler"] = function.handler;
    jobs.append(job);
  }
  if (jobs.empty()) return;
  Json::StreamWriterBuilder writer;
  writer["indentation"] = "";
  const std::string input = Json::writeString(writer, jobs);
  std::vector<std::string> argv;
  if (runtime_name == "nodejs") {
    argv = {"node", "--input-type=module", "-e", kNodeProbe, input};
  } else {
    argv = {"python3", "-c", kPythonProbe, input};
  }
  std::string output;
  if (!RunProbe(argv, kProbeTimeoutMs, &output)) {
    Log::Debug("handlers not checked: the probe did not finish",
               {Str("runtime", runtime_name), Str("program", argv[0])});
    return;
  }
  Json::Value results;
  Json::CharReaderBuilder reader;
  std::string errors;
  std::istringstream stream(output);
  if (!Json::parseFromStream(reader, stream, &results, &errors) || !results.isArray()) return;
  for (const Json::Value& result : results) {
    if (!result.isObject() || !result["expected"].isString()) continue;
    problems->push_back({api.file, "$.functions." + result["name"].asString() + ".handler",
                         result["expected"].asString(), result["found"].asString()});
  }
}

}  // namespace

std::vector<ConfigProblem> CheckHandlers(const ApiConfig& api) {
  std::vector<ConfigProblem> problems;
  for (const auto& [name, function] : api.functions) {
    if (function.kind == FunctionConfig::Kind::kCommand) CheckCommand(api, function, &problems);
  }
  CheckRuntime(api, "nodejs", &problems);
  CheckRuntime(api, "python", &problems);
  return problems;
}

}  // namespace wsgw
