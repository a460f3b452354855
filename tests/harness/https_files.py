"""A folder served over HTTPS on 127.0.0.1: the host of a private extension index in tests."""
import functools
import http.server
import ssl
import threading

from tests.emulator.tls import make_certificate


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_):
        pass


class HttpsFiles:
    def __init__(self, folder, cert_dir):
        """Serve ``folder`` with the certificate in ``cert_dir`` (the emulator's, which the az runners trust)."""
        cert, key = make_certificate(cert_dir)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      functools.partial(_QuietHandler, directory=folder))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
