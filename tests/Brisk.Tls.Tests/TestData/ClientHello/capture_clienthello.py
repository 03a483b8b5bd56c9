# Throwaway loopback listener: accepts one connection, reads one complete TLS record (the ClientHello),
# writes the handshake message (header + body) as hex, and closes.
import socket, sys
port, out = int(sys.argv[1]), sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(1)
c, _ = s.accept(); c.settimeout(5)
buf = b""
while len(buf) < 5 or len(buf) < 5 + int.from_bytes(buf[3:5], "big"):
    d = c.recv(65536)
    if not d: break
    buf += d
rec_len = int.from_bytes(buf[3:5], "big")
record = buf[5:5 + rec_len]
assert buf[0] == 22, buf[:5]
hs_len = int.from_bytes(record[1:4], "big")
assert len(record) == 4 + hs_len, "ClientHello spans records"
open(out, "w").write(record.hex() + "\n")
c.close(); s.close()
