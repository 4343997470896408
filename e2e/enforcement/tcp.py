#!/usr/bin/python3
"""TCP endpoints for the enforcement suite.

  tcp.py listen ADDR PORT [PORT ...]      accepts and holds connections until killed
  tcp.py connect SRC DST PORT COUNT SECS  opens COUNT connections at once; prints how many succeeded
"""
import json
import socket
import sys
import threading
import time


def listen(addr, ports):
    held = []
    def serve(port):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(128)
        while True:
            conn, _ = s.accept()
            held.append(conn)
    for port in ports:
        threading.Thread(target=serve, args=(port,), daemon=True).start()
    print(json.dumps({"ready": True}), flush=True)
    while True:
        time.sleep(1)


def connect(src, dst, port, count, seconds):
    results = []
    def one():
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.settimeout(seconds)
        try:
            s.bind((src, 0))
            s.connect((dst, port))
            results.append(s)
        except OSError:
            s.close()
    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"connected": len(results)}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(sys.argv[2], [int(p) for p in sys.argv[3:]])
    else:
        connect(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
