# A web service for tests, run inside a capsule (base-python): plain HTTP on 8000, a chunked
# answer that arrives over two seconds (/stream), and a WebSocket echo (/ws), standard library only.
import base64, hashlib, http.server, socketserver, struct, time

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body in one write: unbuffered, the body waits behind Nagle's algorithm for the
    # client's delayed ACK of the headers (40 ms per request on a kept-alive connection)
    wbufsize = 65536

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/ws":
            return self.websocket()
        if self.path == "/stream":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(3):
                part = ("part%d\n" % i).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
                if i < 2:
                    time.sleep(1)
            self.wfile.write(b"0\r\n\r\n")
            return
        body = ("hello via " + self.headers.get("Host", "")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def websocket(self):
        key = self.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode, n = head[0] & 15, head[1] & 127
            if n == 126:
                n = struct.unpack(">H", self.rfile.read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(n)))
            if opcode == 8:
                self.wfile.write(b"\x88\x00")
                self.wfile.flush()
                return
            if n < 126:
                frame = bytes([0x80 | opcode, n])
            elif n < 65536:
                frame = bytes([0x80 | opcode, 126]) + struct.pack(">H", n)
            else:
                frame = bytes([0x80 | opcode, 127]) + struct.pack(">Q", n)
            self.wfile.write(frame + data)
            self.wfile.flush()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("0.0.0.0", 8000), Handler).serve_forever()
