"""wsgw's Python host: runs a handler written for AWS Lambda's Python runtime, unchanged, behind
the Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations).

One file using only the standard library (Python 3.9 or later; preload/wsgw_aws_redirect.py beside
it redirects AWS's host names to the gateway), two roles (see README.md beside this file):
  - the front (started by the gateway): an HTTP server on WSGW_FUNCTION_HOST:WSGW_FUNCTION_PORT
    that owns a pool of worker processes, hands each invocation to an idle one (spawning another
    when all are busy) and reloads them when a file under WSGW_HANDLER_ROOT changes;
  - a worker (started with --wsgw-worker): one Lambda execution environment. It imports
    WSGW_HANDLER the way Lambda's runtime does and runs one invocation at a time; module state
    persists between the invocations it runs, as in a warm Lambda. It talks to the front over two
    pipes (one JSON message per line) and exits when the front goes away (end of file).
"""

import base64
import datetime
import decimal
import http.server
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import os
import re
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import uuid

WORKER_FLAG = "--wsgw-worker"
HOST = "wsgw python host"
HOST_FILE = os.path.abspath(__file__)


def _say(message):
    sys.stderr.write("%s: %s\n" % (HOST, message))
    sys.stderr.flush()


_DEBUG = os.environ.get("WSGW_HOST_LOG_LEVEL", "").lower() == "debug"


def _debug(message):
    """The host's own diagnostics, shown with WSGW_HOST_LOG_LEVEL=debug."""
    if _DEBUG:
        _say("debug: " + message)


def _load_aws_redirect():
    """preload/wsgw_aws_redirect.py (AWS's host names reach the gateway), loaded from beside
    this file without putting its folder on the handler's sys.path."""
    name = "wsgw_aws_redirect"
    if name in sys.modules:
        return sys.modules[name]
    location = os.path.join(os.path.dirname(HOST_FILE), "preload", name + ".py")
    spec = importlib.util.spec_from_file_location(name, location)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


def _iso_now():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


# ---------------------------------------------------------------------------------------------
# Worker: one execution environment
# ---------------------------------------------------------------------------------------------

_current_request_id = None


class Fault(Exception):
    """A failure Lambda's Python runtime reports under its own name (Runtime.ImportModuleError)."""

    def __init__(self, error_type, message, trace=None, retryable=False):
        Exception.__init__(self, message)
        self.error_type = error_type
        self.message = message
        self.trace = trace
        self.retryable = retryable


def make_error(message, error_type, stack_trace, request_id):
    """The error body Lambda's Python runtime writes."""
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id or "",
        "stackTrace": stack_trace or [],
    }


def _user_frames(tb):
    """The traceback's frames, without this host's own and importlib's."""
    importlib_dir = os.path.dirname(importlib.__file__) + os.sep
    return [
        frame
        for frame in traceback.extract_tb(tb)
        if frame.filename != HOST_FILE
        and not frame.filename.startswith(("<frozen importlib", importlib_dir))
    ]


def _error_from_exception(exc_info, request_id):
    etype, value, tb = exc_info
    return make_error(
        str(value), etype.__name__, traceback.format_list(_user_frames(tb)), request_id
    )


class _FreshSourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles the handler's own files from source every time: a cached .pyc is trusted on the
    file's mtime in whole seconds and its size, so an edit within the same second could be missed.
    Writes no __pycache__ into the user's folder either."""

    def get_code(self, fullname):
        source_path = self.get_filename(fullname)
        return self.source_to_code(self.get_data(source_path), source_path)


def _install_fresh_loader(root):
    root = os.path.realpath(root)
    machinery = importlib.machinery
    loaders = [
        (machinery.ExtensionFileLoader, machinery.EXTENSION_SUFFIXES),
        (_FreshSourceLoader, machinery.SOURCE_SUFFIXES),
        (machinery.SourcelessFileLoader, machinery.BYTECODE_SUFFIXES),
    ]

    def hook(entry):
        folder = os.path.realpath(entry or os.getcwd())
        if folder != root and not folder.startswith(root + os.sep):
            raise ImportError("outside the handler root")
        parts = set(os.path.relpath(folder, root).split(os.sep))
        if parts & {"site-packages", "dist-packages", "node_modules"} or not os.path.isdir(folder):
            raise ImportError("a dependency folder")
        return machinery.FileFinder(entry, *loaders)

    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()


class _ServiceEndpointsFromEnvironment(importlib.abc.MetaPathFinder):
    """Makes an older botocore (before 1.31, e.g. Debian 12's 1.29) honour AWS_ENDPOINT_URL and
    AWS_ENDPOINT_URL_<SERVICE>, as current SDKs do by themselves: the gateway points DynamoDB's
    client at itself that way, and the handler's code must not need an endpoint_url to get there.
    Patches botocore.session when (and only if) the handler imports it; newer botocore is left
    as it is."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "botocore.session":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        original_exec = spec.loader.exec_module

        def exec_module(module):
            original_exec(module)
            _patch_create_client(module)

        spec.loader.exec_module = exec_module
        return spec


def _patch_create_client(session_module):
    import botocore

    try:
        version = tuple(int(part) for part in botocore.__version__.split(".")[:2])
    except ValueError:
        return
    if version >= (1, 31):
        return
    create_client = session_module.Session.create_client

    def with_endpoint_from_environment(self, service_name, *args, **kwargs):
        if kwargs.get("endpoint_url") is None and len(args) < 4:
            variable = "AWS_ENDPOINT_URL_" + service_name.upper().replace("-", "_")
            endpoint = os.environ.get(variable) or os.environ.get("AWS_ENDPOINT_URL")
            if endpoint:
                kwargs["endpoint_url"] = endpoint
        return create_client(self, service_name, *args, **kwargs)

    session_module.Session.create_client = with_endpoint_from_environment


def load_handler(handler_string):
    """Finds the handler as Lambda's Python runtime does: "module.function", where module may be
    a dotted or slashed path ("pkg/mod.func", "pkg.mod.func") relative to the task root."""
    try:
        modname, fname = handler_string.rsplit(".", 1)
    except ValueError as e:
        raise Fault(
            "Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(handler_string, e)
        )
    if modname.split(".")[0] in sys.builtin_module_names:
        raise Fault(
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module {} as a handler module".format(modname),
        )
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise Fault(
            "Runtime.ImportModuleError",
            "Unable to import module '{}': {}".format(modname, e),
            retryable=True,
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise Fault(
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module '{}': {}".format(modname, e),
            trace,
        )
    try:
        return getattr(module, fname)
    except AttributeError:
        raise Fault(
            "Runtime.HandlerNotFound", "Handler '{}' missing on module '{}'".format(fname, modname)
        )


def _load_report(exc_info, handler_string):
    """The loader's own words for the front to print: the exception and the user's frames."""
    etype, value, tb = exc_info
    if isinstance(value, Fault) and value.error_type != "Runtime.ImportModuleError" and (
        value.error_type != "Runtime.UserCodeSyntaxError"
    ):
        return value.message
    cause = value.__context__ if isinstance(value, Fault) and value.__context__ else value
    lines = []
    frames = _user_frames(cause.__traceback__)
    if frames:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_list(frames))
    lines.extend(traceback.format_exception_only(type(cause), cause))
    module = handler_string.rsplit(".", 1)[0].replace("/", ".")
    missing = getattr(cause, "name", None) if isinstance(cause, ModuleNotFoundError) else None
    if missing and (module == missing or module.startswith(missing + ".")):
        lines.append(
            "(no module %s under %s, nor anywhere on sys.path)" % (missing, sys.path[0])
        )
    return "".join(lines).rstrip("\n")


class LambdaContext(object):
    """The context object Lambda's Python runtime passes."""

    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context):
        env = os.environ
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = None
        self.client_context = _ClientContext(client_context) if client_context else None
        self.identity = _CognitoIdentity()
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id={},log_group_name={},log_stream_name={},"
            "function_name={},memory_limit_in_mb={},function_version={},invoked_function_arn={},"
            "client_context={},identity={},tenant_id={}])".format(
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
                self.tenant_id,
            )
        )


class _CognitoIdentity(object):
    def __init__(self):
        self.cognito_identity_id = None
        self.cognito_identity_pool_id = None


class _ClientContext(object):
    def __init__(self, data):
        self.custom = data.get("custom")
        self.env = data.get("env")
        self.client = data.get("client")


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _current_request_id or ""
        return True


class _LambdaLogHandler(logging.Handler):
    """Lambda's text log format, one line per record (line breaks inside become \\r)."""

    def emit(self, record):
        try:
            text = self.format(record).rstrip("\n").replace("\r\n", "\r").replace("\n", "\r")
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def _setup_logging():
    logging.Formatter.converter = time.gmtime
    handler = _LambdaLogHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"):
        root.setLevel({"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level))
    root.addHandler(handler)


def _log_error(error):
    """How Lambda logs an invocation error: one record, its lines joined by \\r."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        description += (":" if error.get("errorType") else "") + " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for element in error.get("stackTrace") or []:
        for line in element.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines).replace("\n", "\r") + "\n")
    sys.stdout.flush()


def _json_default(value):
    # boto3 hands DynamoDB numbers out as Decimal; Lambda's encoder writes them as numbers.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def _invoke(handler, message):
    global _current_request_id
    request_id = message["requestId"]
    _current_request_id = request_id
    try:
        context = LambdaContext(
            request_id,
            message["deadlineMs"],
            message.get("invokedFunctionArn"),
            message.get("clientContext"),
        )
        event = json.loads(message["event"])
        result = handler(event, context)
        if isinstance(result, bytes):
            return {"ok": True, "payload": result.decode("utf-8", "replace")}
        try:
            payload = json.dumps(result, default=_json_default)
        except Exception as e:
            raise Fault("Runtime.MarshalError", "Unable to marshal response: {}".format(e))
        return {"ok": True, "payload": payload}
    except Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, request_id)
    except Exception:
        error = _error_from_exception(sys.exc_info(), request_id)
    _log_error(error)
    return {"ok": False, "payload": json.dumps(error)}


class _WholeLines:
    """A worker's stdout/stderr: each line in one write() (atomic on a pipe up to 4096 bytes), as
    the workers share the front's and must never interleave mid-line (line_buffering does not
    ensure it: print() of several values can still reach the pipe in pieces)."""

    def __init__(self, stream):
        self._stream, self._pending, self._lock = stream, "", threading.Lock()

    def write(self, text):
        with self._lock:
            self._pending += text
            cut = self._pending.rfind("\n") + 1
            if cut:
                lines, self._pending = self._pending[:cut], self._pending[cut:]
                self._emit(lines)
        return len(text)

    def flush(self):
        with self._lock:
            lines, self._pending = self._pending, ""
            self._emit(lines)

    def _emit(self, text):
        self._stream.flush()
        for line in text.splitlines(keepends=True):
            data = line.encode(self._stream.encoding or "utf-8", "backslashreplace")
            while data:
                data = data[os.write(self._stream.fileno(), data) :]

    def __getattr__(self, name):
        return getattr(self._stream, name)


def run_worker(request_fd, response_fd, root, handler_string):
    # Ctrl-C in a terminal reaches the whole process group: the front decides what it means.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout, sys.stderr = _WholeLines(sys.stdout), _WholeLines(sys.stderr)
    requests = os.fdopen(request_fd, "rb")
    responses = os.fdopen(response_fd, "wb")
    send_lock = threading.Lock()

    def send(message):
        # The handler's own threads may report a redirect while a result is being sent.
        with send_lock:
            responses.write(json.dumps(message).encode("utf-8") + b"\n")
            responses.flush()

    def report_redirect(line, name):
        try:
            send({"type": "redirected", "name": name or line, "line": line})
        except (OSError, ValueError):
            pass  # the front went away; this worker ends with it

    # Before the handler's module loads: its top-level code may connect already. The front says
    # each redirect once per function, whichever worker made it.
    if os.environ.get("WSGW_AWS_REDIRECT"):
        try:
            _load_aws_redirect().install(report_redirect)
        except Exception as e:
            _say("AWS host names are not redirected to wsgw: %r" % e)

    # Lambda's sys.path starts with the task root; the host's own folder must not shadow modules.
    host_dir = os.path.dirname(HOST_FILE)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != host_dir]
    sys.path.insert(0, root)
    _install_fresh_loader(root)
    sys.meta_path.insert(0, _ServiceEndpointsFromEnvironment())
    _setup_logging()

    try:
        handler = load_handler(handler_string)
    except Exception as e:
        exc_info = sys.exc_info()
        if isinstance(e, Fault):
            error = make_error(e.message, e.error_type, e.trace, None)
            retryable = e.retryable
        else:
            # An exception raised by the module's own code: tried again at the next invocation.
            error = _error_from_exception(exc_info, None)
            retryable = True
        send(
            {
                "type": "loadError",
                "payload": error,
                "retryable": retryable,
                "report": _load_report(exc_info, handler_string),
            }
        )
        return

    send({"type": "ready"})
    for line in requests:
        message = json.loads(line)
        if message.get("type") == "invoke":
            result = _invoke(handler, message)
            result["type"] = "result"
            send(result)


# ---------------------------------------------------------------------------------------------
# Front: HTTP server and worker pool
# ---------------------------------------------------------------------------------------------

INVOKE_PREFIX = "/2015-03-31/functions/"
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
WATCH_INTERVAL_SECONDS = 1.0
SLOW_SCAN_SECONDS = 0.005
IDLE_WORKER_SECONDS = 5 * 60
# Directories and files under the handler root whose changes do not reload the handler, besides
# those WSGW_RELOAD_IGNORE names (see reload_ignore()).
IGNORED_DIRECTORIES = {"node_modules", "__pycache__", "venv"}
IGNORED_SUFFIXES = (".db", ".db-journal", ".db-wal", ".db-shm", ".log", ".pyc", ".swp", ".swx",
                    ".cpuprofile", ".heapprofile", "~")


def _ignored_file(name):
    return ".sqlite" in name or name.endswith(IGNORED_SUFFIXES) or name.startswith(".#")


def reload_ignore(root, text=None):
    """WSGW_RELOAD_IGNORE: paths and globs, separated by commas, whose changes do not reload the
    handler (the gateway adds its ready file and data folder). A relative entry is relative to the
    root; `*` matches within a name, `**` across folders; a folder ignores all under it. Returns a
    predicate on absolute paths (the Node.js host reads the same variable the same way)."""
    if text is None:
        text = os.environ.get("WSGW_RELOAD_IGNORE", "")
    patterns = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        absolute = os.path.normpath(os.path.join(root, entry))
        source = ""
        for part in re.split(r"(\*\*/?|\*|\?)", absolute):
            if part in ("**", "**/"):
                source += ".*"
            elif part == "*":
                source += "[^/]*"
            elif part == "?":
                source += "[^/]"
            else:
                source += re.escape(part)
        patterns.append(re.compile("^" + source + "(/.*)?$"))
    return lambda path: any(pattern.match(path) for pattern in patterns)


def snapshot_tree(root, ignored=None):
    """Every file under root that can change the code: path -> (mtime, ctime, size, inode)."""
    if ignored is None:
        ignored = reload_ignore(root)
    files = {}

    def walk(folder, depth):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    name = entry.name
                    if (depth < 32 and name not in IGNORED_DIRECTORIES and not name.startswith(".")
                            and not ignored(entry.path)):
                        walk(entry.path, depth + 1)
                    continue
                if _ignored_file(entry.name) or ignored(entry.path):
                    continue
                stat = os.stat(entry.path)
            except OSError:
                continue  # removed while walking: the next snapshot sees it gone
            if not os.path.isdir(entry.path):
                files[entry.path] = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)

    walk(root, 0)
    return files


def first_change(before, after):
    for path, signature in after.items():
        if before.get(path) != signature:
            return path
    for path in before:
        if path not in after:
            return path
    return None


def _fatal(message):
    _say(message)
    sys.exit(2)


def read_config():
    env = os.environ
    handler = env.get("WSGW_HANDLER")
    if not handler:
        _fatal('WSGW_HANDLER is not set (the handler, like "app.lambda_handler")')
    port_text = env.get("WSGW_FUNCTION_PORT", "")
    if not port_text.isdigit() or int(port_text) > 65535:
        _fatal('WSGW_FUNCTION_PORT must be a port number, found "%s"' % port_text)
    try:
        timeout_seconds = float(env.get("AWS_LAMBDA_FUNCTION_TIMEOUT", ""))
    except ValueError:
        timeout_seconds = 0
    try:
        max_workers = int(env.get("WSGW_HOST_MAX_WORKERS", ""))
    except ValueError:
        max_workers = 0
    name = env.get("AWS_LAMBDA_FUNCTION_NAME") or env.get("WSGW_FUNCTION_NAME") or "function"
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return {
        "handler": handler,
        "root": os.path.abspath(env.get("WSGW_HANDLER_ROOT") or os.getcwd()),
        "host": env.get("WSGW_FUNCTION_HOST") or "127.0.0.1",
        "port": int(port_text),
        "name": name,
        "timeout": timeout_seconds if timeout_seconds > 0 else 29.0,
        "max_workers": max_workers if max_workers > 0 else 16,
        "function_arn": "arn:aws:lambda:%s:000000000000:function:%s" % (region, name),
    }


def worker_environment(config):
    """The host's own environment (set by the gateway, never overridden) plus what Lambda's
    Python runtime also provides."""
    env = dict(os.environ)

    def set_default(key, value):
        if not env.get(key):
            env[key] = value

    set_default("AWS_LAMBDA_FUNCTION_NAME", config["name"])
    set_default("AWS_REGION", env.get("AWS_DEFAULT_REGION") or "us-east-1")
    set_default("AWS_DEFAULT_REGION", env["AWS_REGION"])
    if not env.get("AWS_ACCESS_KEY_ID") and not env.get("AWS_SECRET_ACCESS_KEY"):
        env["AWS_ACCESS_KEY_ID"] = "AKIAWSGWLOCAL0000000"
        env["AWS_SECRET_ACCESS_KEY"] = "wsgw-local-placeholder-secret"
    set_default("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    set_default("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    set_default("AWS_LAMBDA_FUNCTION_TIMEOUT", "%g" % config["timeout"])
    set_default("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + env["AWS_LAMBDA_FUNCTION_NAME"])
    set_default("LAMBDA_TASK_ROOT", config["root"])
    set_default("_HANDLER", config["handler"])
    set_default("AWS_EXECUTION_ENV", "AWS_Lambda_python%d.%d" % sys.version_info[:2])
    set_default("PYTHONUNBUFFERED", "1")
    return env


def _log_stream_name():
    day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y/%m/%d")
    return "%s/[$LATEST]%s" % (day, secrets.token_hex(16))


class Invocation(object):
    def __init__(self, event_text, client_context, timeout):
        self.request_id = str(uuid.uuid4())
        self.event_text = event_text
        self.client_context = client_context
        self.deadline = time.monotonic() + timeout
        self.deadline_ms = int(time.time() * 1000 + timeout * 1000)
        self.worker = None
        self.answer = None
        self.answered = threading.Event()

    def complete(self, answer):
        """Records the answer; False if the invocation already had one."""
        if self.answered.is_set():
            return False
        self.answer = answer
        self.answered.set()
        return True


def invoke_answer(invocation, function_error, payload):
    headers = {
        "Content-Type": "application/json",
        "X-Amz-Executed-Version": "$LATEST",
        "X-Amzn-RequestId": invocation.request_id,
    }
    if function_error:
        headers["X-Amz-Function-Error"] = function_error
    return 200, headers, payload


def service_error(status, error_type, message):
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error_type}
    return status, headers, json.dumps({"Type": "User", "Message": message})


class Worker(object):
    def __init__(self, pool, worker_id):
        self.pool = pool
        self.id = worker_id
        self.generation = pool.generation
        self.state = "starting"  # starting, idle, busy, dead
        self.retire = False
        self.stopping = False
        self.current = None
        self.idle_since = None
        config = pool.config
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        env = dict(pool.base_env)
        env.setdefault("AWS_LAMBDA_LOG_STREAM_NAME", _log_stream_name())
        cwd = config["root"] if os.path.isdir(config["root"]) else os.getcwd()
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    HOST_FILE,
                    WORKER_FLAG,
                    str(request_read),
                    str(response_write),
                    config["root"],
                    config["handler"],
                ],
                pass_fds=(request_read, response_write),
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env=env,
            )
        finally:
            os.close(request_read)
            os.close(response_write)
        self.requests = os.fdopen(request_write, "wb")
        self.responses = os.fdopen(response_read, "rb")
        threading.Thread(target=self._read_responses, daemon=True).start()

    def send(self, message):
        try:
            self.requests.write(json.dumps(message).encode("utf-8") + b"\n")
            self.requests.flush()
        except (OSError, ValueError):
            pass  # it died: its reader thread reports that

    def stop(self):
        """Closing its request pipe makes the worker exit once its invocation (if any) is done."""
        self.stopping = True
        self.state = "dead"
        try:
            self.requests.close()
        except OSError:
            pass
        timer = threading.Timer(2.0, self.kill)
        timer.daemon = True
        timer.start()

    def kill(self):
        try:
            self.process.kill()
        except OSError:
            pass

    def _read_responses(self):
        for line in self.responses:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            self.pool.on_message(self, message)
        code = self.process.wait()
        self.pool.on_exit(self, code)


class WorkerPool(object):
    def __init__(self, config):
        self.config = config
        self.base_env = worker_environment(config)
        self.lock = threading.Condition()
        self.generation = 0
        self.workers = []
        self.waiting = []  # invocations without a worker, oldest first
        self.init_error = None  # the current generation's load failure
        self.reported = None  # the load failure text last printed for this generation
        self.announce_load = False
        self.ignored = reload_ignore(config["root"])
        self.snapshot = snapshot_tree(config["root"], self.ignored)
        self.scan_lock = threading.Lock()
        self.last_scan = (0.0, 0.0)  # (when, how long it took), in seconds
        self.next_id = 1
        self.redirects_reported = set()  # the AWS host names a worker redirected, said once

    def start(self):
        with self.lock:
            self._spawn()
        thread = threading.Thread(target=self._watch, daemon=True)
        thread.start()

    def _watch(self):
        while True:
            time.sleep(WATCH_INTERVAL_SECONDS)
            self.check_for_changes(always=True)
            self._reap_idle()

    def check_for_changes(self, always=False):
        """Looks for changes before every invocation, so the next one after an edit runs the new
        code. A root so large that a scan takes more than SLOW_SCAN_SECONDS is scanned at most
        every ten scan durations instead (and every WATCH_INTERVAL_SECONDS in the background)."""
        with self.scan_lock:
            started = time.monotonic()
            at, took = self.last_scan
            if not always and took > SLOW_SCAN_SECONDS and started - at < max(0.05, took * 10):
                return
            snapshot = snapshot_tree(self.config["root"], self.ignored)
            self.last_scan = (started, time.monotonic() - started)
            changed = first_change(self.snapshot, snapshot)
            if changed is None:
                return
            self.snapshot = snapshot
            with self.lock:
                self.generation += 1
                self.init_error = None
                self.reported = None
                self.announce_load = True
                for worker in list(self.workers):
                    if worker.state == "busy":
                        worker.retire = True
                    elif worker.state != "dead":
                        worker.stop()
                relative = os.path.relpath(changed, self.config["root"])
                _say("%s changed: loading the handler afresh" % relative)
                self._spawn()

    def _live(self):
        return [w for w in self.workers if w.generation == self.generation and w.state != "dead"]

    def _spawn(self):
        worker_id = self.next_id
        self.next_id += 1
        try:
            worker = Worker(self, worker_id)
        except OSError as e:
            _say("could not start a worker: %s" % e)
            return
        self.workers.append(worker)

    def _pump(self):
        while self.waiting:
            idle = [w for w in self._live() if w.state == "idle"]
            if not idle:
                break
            self._assign(idle[0], self.waiting.pop(0))
        live = self._live()
        starting = len([w for w in live if w.state == "starting"])
        missing = min(len(self.waiting) - starting, self.config["max_workers"] - len(live))
        for _ in range(max(missing, 0)):
            self._spawn()

    def _assign(self, worker, invocation):
        worker.state = "busy"
        worker.current = invocation
        invocation.worker = worker
        worker.send(
            {
                "type": "invoke",
                "requestId": invocation.request_id,
                "event": invocation.event_text,
                "deadlineMs": invocation.deadline_ms,
                "invokedFunctionArn": self.config["function_arn"],
                "clientContext": invocation.client_context,
            }
        )

    def invoke(self, invocation):
        """Runs one invocation; returns the HTTP answer (status, headers, body)."""
        self.check_for_changes()
        with self.lock:
            if self.init_error is not None and not self.init_error["retryable"]:
                return self._init_error_answer(invocation)
            self.init_error = None
            self.waiting.append(invocation)
            self._pump()
        if not invocation.answered.wait(max(invocation.deadline - time.monotonic(), 0)):
            self._time_out(invocation)
        return invocation.answer

    def _init_error_answer(self, invocation):
        payload = dict(self.init_error["payload"])
        payload["requestId"] = invocation.request_id
        return invoke_answer(invocation, "Unhandled", json.dumps(payload))

    def _time_out(self, invocation):
        with self.lock:
            if invocation in self.waiting:
                self.waiting.remove(invocation)
            seconds = "%.2f" % self.config["timeout"]
            payload = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": "RequestId: %s Error: Task timed out after %s seconds"
                % (invocation.request_id, seconds),
            }
            if not invocation.complete(invoke_answer(invocation, "Unhandled", json.dumps(payload))):
                return
            sys.stdout.write(
                "%s %s Task timed out after %s seconds\n"
                % (_iso_now(), invocation.request_id, seconds)
            )
            sys.stdout.flush()
            worker = invocation.worker
            if worker is not None and worker.current is invocation:
                # Lambda stops a timed-out environment; its module state goes with it.
                worker.current = None
                worker.state = "dead"
                worker.kill()
            self._pump()

    def on_message(self, worker, message):
        kind = message.get("type")
        with self.lock:
            if kind == "redirected":
                name = message.get("name")
                if name not in self.redirects_reported:
                    self.redirects_reported.add(name)
                    _say(str(message.get("line")))
            elif kind == "ready":
                if worker.generation != self.generation or worker.state == "dead":
                    worker.stop()
                    return
                if self.announce_load:
                    _say("handler %s loaded" % self.config["handler"])
                self.announce_load = False
                self.reported = None
                self._become_idle(worker)
            elif kind == "loadError":
                worker.state = "dead"
                if worker.generation == self.generation:
                    self._fail_load(message)
            elif kind == "result":
                invocation = worker.current
                worker.current = None
                if invocation is not None:
                    error = None if message.get("ok") else "Unhandled"
                    invocation.complete(invoke_answer(invocation, error, message.get("payload")))
                if worker.state == "dead":
                    return
                if worker.retire or worker.generation != self.generation:
                    worker.stop()
                    return
                self._become_idle(worker)

    def _become_idle(self, worker):
        worker.state = "idle"
        worker.idle_since = time.monotonic()
        self._pump()

    def _reap_idle(self):
        # Lambda retires idle environments too; keep one warm so the next invocation starts at once.
        with self.lock:
            live = self._live()
            now = time.monotonic()
            for worker in live[1:]:
                if worker.state == "idle" and now - worker.idle_since > IDLE_WORKER_SECONDS:
                    worker.stop()

    def _fail_load(self, error):
        self.init_error = error
        self.announce_load = True
        payload = error["payload"]
        text = "%s: %s" % (payload.get("errorType"), payload.get("errorMessage"))
        if self.reported != text:
            self.reported = text
            root = self.config["root"]
            if error["retryable"]:
                then = "and load the handler again each time"
            else:
                then = "until a file under %s changes" % root
            error_type = payload.get("errorType")
            _say(
                'cannot load handler "%s" from %s (%s):\n%s\n%s: invocations answer %s %s'
                % (self.config["handler"], root, error_type, error.get("report") or text, HOST,
                   error_type, then)
            )
        waiting, self.waiting = self.waiting, []
        for invocation in waiting:
            invocation.complete(self._init_error_answer(invocation))

    def on_exit(self, worker, code):
        with self.lock:
            if worker not in self.workers:
                return
            self.workers.remove(worker)
            was_starting = worker.state == "starting"
            worker.state = "dead"
            status = "signal: %s" % _signal_name(-code) if code < 0 else "exit status %d" % code
            invocation = worker.current
            if invocation is not None and not invocation.answered.is_set():
                payload = {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": "RequestId: %s Error: Runtime exited with error: %s"
                    % (invocation.request_id, status),
                }
                _say("the worker running request %s exited (%s)" % (invocation.request_id, status))
                invocation.complete(invoke_answer(invocation, "Unhandled", json.dumps(payload)))
            elif was_starting and worker.generation == self.generation and not worker.stopping:
                self._fail_load(
                    {
                        "type": "loadError",
                        "retryable": True,
                        "payload": make_error(
                            "Runtime exited with error: %s" % status,
                            "Runtime.ExitError",
                            None,
                            None,
                        ),
                        "report": "the worker exited (%s) while loading the handler" % status,
                    }
                )
            self._pump()
            # Keep one environment warm, as after the first invocation.
            if not self._live() and self.init_error is None:
                self._spawn()

    def shutdown(self):
        with self.lock:
            for worker in self.workers:
                try:
                    worker.process.terminate()
                except OSError:
                    pass


def _signal_name(number):
    try:
        return signal.Signals(number).name[3:].lower()
    except ValueError:
        return str(number)


class InvokeRequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wsgw-python-host"
    # Longer than the gateway's HTTP client keeps an idle connection, so it never reuses one that
    # this server is closing.
    timeout = 125

    def log_message(self, format, *args):
        pass

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, size = [], 0
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunk = self.rfile.read(length)
                self.rfile.readline()
                size += length
                if size <= MAX_PAYLOAD_BYTES:
                    chunks.append(chunk)
            body = b"".join(chunks)
        else:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size)
        return None if size > MAX_PAYLOAD_BYTES else body

    def setup(self):
        http.server.BaseHTTPRequestHandler.setup(self)
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _answer(self, status, headers, body):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        # The head and the body in one write: written apart, the body waited for the gateway's
        # delayed ACK of the head (Nagle's algorithm), 40 ms added to every invocation.
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(data)
        self.flush_headers()

    def _handle(self):
        body = self._read_body()
        path = self.path.split("?", 1)[0]
        parts = path.rstrip("/").split("/")
        is_invoke = (
            path.startswith(INVOKE_PREFIX)
            and len(parts) == 5
            and parts[4] == "invocations"
            and parts[3]
        )
        if not is_invoke or self.command != "POST":
            return service_error(
                404,
                "ResourceNotFoundException",
                "%s %s: this host serves POST /2015-03-31/functions/{name}/invocations"
                % (self.command, path),
            )
        if body is None:
            return service_error(
                413,
                "RequestTooLargeException",
                "Request must be smaller than %d bytes for the InvokeFunction operation"
                % MAX_PAYLOAD_BYTES,
            )
        event_text = body.decode("utf-8", "replace")
        if not event_text.strip():
            event_text = "{}"
        try:
            json.loads(event_text)
        except ValueError as e:
            return service_error(
                400,
                "InvalidRequestContentException",
                "Could not parse request body into json: %s" % e,
            )
        client_context = None
        header = self.headers.get("X-Amz-Client-Context")
        if header:
            try:
                client_context = json.loads(base64.b64decode(header).decode("utf-8"))
            except ValueError:
                return service_error(
                    400,
                    "InvalidRequestContentException",
                    "Client context must be a valid Base64-encoded JSON object.",
                )
        pool = self.server.pool
        invocation = Invocation(event_text, client_context, pool.config["timeout"])
        invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if invocation_type == "DryRun":
            return 204, {}, ""
        if invocation_type == "Event":
            threading.Thread(target=pool.invoke, args=(invocation,), daemon=True).start()
            return 202, {"X-Amzn-RequestId": invocation.request_id}, ""
        return pool.invoke(invocation)

    def _serve(self):
        try:
            status, headers, body = self._handle()
        except ConnectionError:
            # The client left mid-request: nobody to answer.
            self.close_connection = True
            return
        except Exception:
            status, headers, body = service_error(500, "ServiceException", traceback.format_exc())
        try:
            self._answer(status, headers, body)
        except ConnectionError:
            # The gateway stopped waiting (its integration timeout) or went away; the
            # invocation's outcome is already in the log.
            self.close_connection = True

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve


class InvokeServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, pool):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        http.server.ThreadingHTTPServer.__init__(self, address, InvokeRequestHandler)
        self.pool = pool

    def handle_error(self, request, client_address):
        # A client that resets or leaves mid-request is not the host's error; anything else is.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        http.server.ThreadingHTTPServer.handle_error(self, request, client_address)


TRUST_CHECK_TIMEOUT_SECONDS = 3.0
# Where each library the function's code may use finds the CAs it trusts: botocore (boto3) reads
# AWS_CA_BUNDLE, requests REQUESTS_CA_BUNDLE, the ssl module's default context SSL_CERT_FILE.
CA_BUNDLE_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
CA_BUNDLE_READERS = {
    "AWS_CA_BUNDLE": "boto3",
    "REQUESTS_CA_BUNDLE": "requests",
    "SSL_CERT_FILE": "urllib",
}


def _url_authority(text):
    """"http://127.0.0.1:3001/dev" -> (host, port); None when unset or not a URL."""
    if not text:
        return None
    try:
        from urllib.parse import urlsplit

        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return (host, port) if host else None


def _readers(variables):
    """"AWS_CA_BUNDLE and SSL_CERT_FILE=/x.pem" -> " from boto3 and urllib"."""
    names = [CA_BUNDLE_READERS.get(v) for v in variables.split("=")[0].split(" and ")]
    names = [n for n in names if n]
    return " from " + " and ".join(names) if names else ""


def _trust_failure(error, name, where, variables, redirected):
    """What a failed check means for the function, and which variable to look at."""
    verify_code = getattr(error, "verify_code", None)
    readers = _readers(variables)
    if isinstance(error, ssl.SSLCertVerificationError) and verify_code == 62:
        # X509_V_ERR_HOSTNAME_MISMATCH
        return (
            "https:// to %s%s will fail in this function: wsgw's certificate at %s does not "
            "cover %s (%s); a --tls-cert of your own must cover it%s"
            % (name, readers, where, name, error,
               " (or pass --no-aws-redirect)" if redirected else "")
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            "https:// to wsgw%s will fail in this function: the certificate at %s does not verify "
            "with %s (%s); check %s: it must name a bundle with wsgw's CA (%s)"
            % (readers, where, variables, error, variables.split("=")[0],
               os.environ.get("WSGW_CA_FILE"))
        )
    return (
        "could not check that https:// to wsgw at %s verifies (%s); check WSGW_CA_FILE=%s and "
        "WSGW_AWS_REDIRECT" % (where, error, os.environ.get("WSGW_CA_FILE"))
    )


def _check_gateway_trust():
    """When the gateway serves TLS (WSGW_CA_FILE), whether https:// from the function's code
    will verify, with the CA bundle each library reads (CA_BUNDLE_VARIABLES), as botocore builds
    its context: ssl.create_default_context(cafile=...). Says one line per bundle that fails, a
    debug line when all work. Runs on its own thread; never raises."""
    env = os.environ
    if not env.get("WSGW_CA_FILE"):
        return
    redirect_module = _load_aws_redirect()
    redirect = None
    if env.get("WSGW_AWS_REDIRECT"):
        redirect = redirect_module.parse_target(env["WSGW_AWS_REDIRECT"])
    gateway = _url_authority(env.get("WSGW_MANAGEMENT_ENDPOINT")) or _url_authority(
        env.get("AWS_ENDPOINT_URL_DYNAMODB")
    )
    address = redirect or gateway
    if address is None:
        return
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    # The names the function's code connects with: the gateway's own (requestContext.domainName)
    # and, redirected, AWS's.
    names = []
    if gateway is not None:
        names.append(gateway[0])
    if redirect is not None:
        names.append("dynamodb.%s.amazonaws.com" % region)
    where = redirect_module.describe(address)
    bundles = {}  # path -> the variables naming it
    for variable in CA_BUNDLE_VARIABLES:
        if env.get(variable):
            bundles.setdefault(env[variable], []).append(variable)
    checks = [(" and ".join(v) + "=" + path, path) for path, v in bundles.items()]
    if not checks:
        checks = [("Python's default CA store (no %s set)" % ", ".join(CA_BUNDLE_VARIABLES), None)]
    all_verified = True
    for variables, cafile in checks:
        try:
            context = ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as e:
            all_verified = False
            _say(
                "https:// to wsgw%s will fail in this function: %s cannot be read as a CA bundle "
                "(%s); check %s" % (_readers(variables), variables, e, variables.split("=")[0])
            )
            continue
        for name in names:
            try:
                with socket.create_connection(address, timeout=TRUST_CHECK_TIMEOUT_SECONDS) as raw:
                    with context.wrap_socket(raw, server_hostname=name):
                        pass
            except (OSError, ssl.SSLError, ValueError) as e:
                all_verified = False
                redirected = redirect is not None and (gateway is None or name != gateway[0])
                _say(_trust_failure(e, name, where, variables, redirected))
                break
    if all_verified:
        _debug("https:// to %s at %s verifies" % (" and ".join(names), where))


def _start_trust_check():
    def run():
        try:
            _check_gateway_trust()
        except Exception as e:  # a check must never take the host down
            _say("could not check that https:// to wsgw verifies: %r" % e)

    threading.Thread(target=run, name="wsgw-trust-check", daemon=True).start()


def run_front():
    config = read_config()
    pool = WorkerPool(config)
    try:
        server = InvokeServer((config["host"], config["port"]), pool)
    except OSError as e:
        _say("cannot listen on %s:%d: %s" % (config["host"], config["port"], e))
        sys.exit(1)
    port = server.server_address[1]
    host = "[%s]" % config["host"] if ":" in config["host"] else config["host"]
    _say(
        "serving %s (root %s) on http://%s:%d/2015-03-31/functions/%s/invocations with Python %s"
        % (config["handler"], config["root"], host, port, config["name"], sys.version.split()[0])
    )
    pool.start()
    _start_trust_check()

    def stop(signum, frame):
        pool.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    # Started by the gateway, which stops its functions with SIGTERM after delivering $disconnect
    # events: a terminal's Ctrl-C, which reaches the whole process group, must not stop them first.
    if os.environ.get("WSGW_MANAGEMENT_ENDPOINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGINT, stop)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == WORKER_FLAG:
        run_worker(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        run_front()
