"""Local stand-ins for remote services, served over real sockets on 127.0.0.1."""
