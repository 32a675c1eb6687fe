// What a descriptor the gateway adopts into lws as a raw file (the listening socket, the signal
// descriptor, the function client's epoll descriptor, a held handshake's socket) does when lws
// reports on it. The descriptor's lws opaque data points at its RawDescriptor, so the acceptor
// protocol's one callback dispatches by type instead of by comparing marker pointers.
#pragma once

namespace wsgw {

class RawDescriptor {
 public:
  // lws's convention: nonzero closes the descriptor.
  virtual int OnReadable() = 0;
  virtual int OnWritable() { return 0; }
  // lws has closed the descriptor; it reports nothing more on it.
  virtual void OnClosed() {}

 protected:
  ~RawDescriptor() = default;
};

}  // namespace wsgw
