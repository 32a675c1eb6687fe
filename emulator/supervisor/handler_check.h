// Whether every function the gateway would start can be found before anything starts, so that
// `--check` and start-up fail at once, saying why, instead of a host logging a load error later:
// a `command`'s program exists and is executable; a `runtime` function's handler file exists
// under its code root (Node.js: FILE, FILE.js/.mjs/.cjs/.ts/.mts/.cts, else a package of that
// name; Python: FILE.py or FILE/__init__.py, dotted or slashed, else a module on sys.path) and
// defines the export it names, else the problem lists what the module does define.
//
// How it looks without running user code: Python files are parsed with `python3 -c` and `ast`
// (top-level definitions, assignments and imports); Node.js files are scanned for the export's
// declaration, and only a JavaScript file where none is seen is imported, by a short `node`
// probe, to list what it exports (CommonJS and re-exports cannot be read reliably as text). A
// probe that cannot run, times out (5 s) or fails for another reason than a syntax error leaves
// the function unjudged: the host reports it when it loads, at error level.
#pragma once

#include <vector>

#include "api/routes_config.h"

namespace wsgw {

// Every problem of `api`'s command and runtime functions, each at "$.functions.NAME.handler"
// (or ".command[0]") of the API's file.
std::vector<ConfigProblem> CheckHandlers(const ApiConfig& api);

}  // namespace wsgw
