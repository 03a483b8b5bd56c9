# Sends a recorded ClientHello to a TLS server on loopback and writes the plaintext handshake messages it
# answers with (one hex line each) until ServerHelloDone (TLS 1.2) or the ServerHello (TLS 1.3 / HRR).
import socket, sys
port, hello_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
hello = bytes.fromhex(open(hello_file).read().strip())
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"\x16\x03\x01" + len(hello).to_bytes(2, "big") + hello)
buf, stream, messages = b"", b"", []
done = False
while not done:
    d = s.recv(65536)
    if not d: break
    buf += d
    while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5], "big"):
        n = int.from_bytes(buf[3:5], "big"); ctype = buf[0]; frag = buf[5:5+n]; buf = buf[5+n:]
        if ctype != 22: done = True; break
        stream += frag
        while len(stream) >= 4 and len(stream) >= 4 + int.from_bytes(stream[1:4], "big"):
            m = stream[:4 + int.from_bytes(stream[1:4], "big")]; stream = stream[len(m):]
            messages.append(m)
            if m[0] == 14: done = True
            if m[0] == 2 and m[4:6] == b"\x03\x03" and b"\x00\x2b\x00\x02\x03\x04" in m: done = True  # TLS 1.3 SH/HRR
        if done: break
s.close()
open(out, "w").write("\n".join(m.hex() for m in messages) + "\n")
print(out, [m[0] for m in messages])
