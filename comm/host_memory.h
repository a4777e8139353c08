// OnHost<Interface>: the memory half of a CPU backend (MPI) or GEMM engine (OpenBLAS), whose
// "device" is host memory: 64-byte aligned allocations, copies that are memcpy, nothing to wait
// for. Both interfaces inherit Device's five memory virtuals (device.h); this mixin implements
// them once.
#ifndef COMM_HOST_MEMORY_H_
#define COMM_HOST_MEMORY_H_

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace comm {

template <class Interface>
class OnHost : public Interface {
 public:
  void* Alloc(size_t bytes) override {
    // 64-byte alignment: a cache line, and enough for any vectorised reduction or GEMM kernel.
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (p == nullptr) throw std::runtime_error("out of host memory");
    return p;
  }
  void Free(void* ptr) override { std::free(ptr); }
  void CopyToDevice(void* dst, const void* src, size_t bytes) override {
    if (bytes > 0) std::memcpy(dst, src, bytes);
  }
  void CopyToHost(void* dst, const void* src, size_t bytes) override {
    if (bytes > 0) std::memcpy(dst, src, bytes);
  }
  void Synchronize() override {}
};

}  // namespace comm

#endif  // COMM_HOST_MEMORY_H_
