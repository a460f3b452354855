"""HTTPS front of the emulator: parses requests, applies injected faults, logs, dispatches to routes."""
import json
import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import control
from .errors import ArmError, error_body
from .http_types import Request, Response
from .routing import Router
from .services.aks.routes import router as aks_router
from .services.authorization.routes import router as authz_router
from .services.features.routes import router as features_router
from .services.graph.routes import router as graph_router
from .services.msi.routes import router as msi_router
from .services.platform.routes import ANONYMOUS_PATHS, UNLOCKED_PATHS, UNLOCKED_SUFFIXES
from .services.platform.routes import router as platform_router
from .services.resourcegraph.routes import router as resource_graph_router
from .services.resources.routes import router as resources_router
from .tls import make_certificate
from .world import World

SERVICES = Router()
for _router in (platform_router, resources_router, msi_router, authz_router, aks_router, graph_router,
                resource_graph_router, features_router):
    SERVICES.include(_router)


class _ConnectionReset(Exception):
    pass


def dispatch(world, req):
    """Answer one request: a control call, or a service call subject to faults and logged."""
    if req.path.startswith(control.PREFIX):
        handler, groups = control.router.match(req.method, req.path)
        return handler(world, req, **groups) if handler else Response(404, {"error": {"code": "NoControl"}})
    action = world.faults.take_action(req.method, req.path)
    if action:
        control.perform(world, action)
    fault = world.faults.take_transport_fault(req.method, req.path)
    if fault and fault.kind == "reset":
        world.log(req, None, fault="reset")
        raise _ConnectionReset()
    if fault:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        response = Response(fault.status, error_body(fault.shape, fault.code, fault.message, fault.subcode,
                                                     fault.details), headers)
        world.log(req, response.status, fault=fault.code)
        return response
    try:
        response = _call_service(world, req)
    except ArmError as err:
        response = Response(err.status, err.body(), err.headers)
    world.log(req, response.status)
    return response


def _unlocked(req):
    path = req.path.lower()
    return req.method == "GET" and (path.startswith(UNLOCKED_PATHS) or path.endswith(UNLOCKED_SUFFIXES))


def _call_service(world, req):
    if not req.path.lower().startswith(ANONYMOUS_PATHS) and not _unlocked(req) and \
            not req.headers.get("authorization", "").startswith("Bearer "):
        raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
    subscription = req.path.split("/")[2] if req.path.lower().startswith("/subscriptions/") else None
    if subscription and not world.platform.readable(subscription):
        raise world.platform.no_access(world.caller_id(req), req.method, req.path)
    handler, groups = SERVICES.match(req.method, req.path)
    if handler is None:
        if groups == "method":
            raise ArmError(405, "MethodNotAllowed", f"The requested method '{req.method}' is not allowed.")
        raise ArmError(404, "InvalidResourceType", f"The emulator does not serve '{req.method} {req.path}'.")
    return handler(world, req, **groups)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # otherwise each response stalls about 40 ms

    def log_message(self, fmt, *args):  # keep the test output clean
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        req = Request.parse(self.command, self.path, dict(self.headers.items()), raw)
        world = self.server.world
        if _unlocked(req):
            # Read by the emulated clusters' API servers, not by the CLI: neither locked nor logged.
            self._send(_call_service(world, req))
            return
        if not req.path.startswith(control.PREFIX):
            world.faults.wait_at_barrier(req.method, req.path)
        try:
            with world.lock:
                response = dispatch(world, req)
        except _ConnectionReset:
            self._reset()
            return
        except Exception:  # pylint: disable=broad-except
            # the emulator's own failure: shown to the test as such, never as a service answer
            import traceback
            response = Response(500, {"error": {"code": "EmulatorFailure", "message": traceback.format_exc()}})
        self._send(response)

    def _send(self, response):
        payload = b"" if response.body is None else json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _reset(self):
        # SO_LINGER 0 makes close() send a TCP RST: the client sees "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _handle


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, cert_dir, host="127.0.0.1", port=0):
        super().__init__((host, port), Handler)
        self.world = World()
        self.cert_path, key_path = make_certificate(cert_dir)
        self.world.serve_clusters_from(f"https://127.0.0.1:{self.server_address[1]}", self.cert_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        self.socket = context.wrap_socket(self.socket, server_side=True)

    @property
    def port(self):
        return self.server_address[1]

    def server_close(self):
        super().server_close()
        self.world.close()

    def handle_error(self, request, client_address):
        pass  # a client that hangs up mid-request is not the emulator's failure

    def start_in_thread(self):
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread
