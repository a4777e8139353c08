// LargeAllocator: std::allocator for small blocks; blocks of 2 MiB and more are 2 MiB-aligned
// and, on Linux, advised to the kernel as transparent huge pages (madvise MADV_HUGEPAGE, which
// is honoured where /sys/kernel/mm/transparent_hugepage/enabled is "madvise" or "always").
//
// Why: the engine's per-task arrays are read in an order the builder only roughly controls. At
// a million tasks they span 30 MB, 7,500 4-KiB pages, more than the TLB holds, so nearly every
// access also walks the page table, and a step with 1,536 micro-batches simulated 15-20% fewer
// events per second than one with 192 (PERFORMANCE.md). With 2-MiB pages the same arrays are
// 15 pages and the rate no longer depends on the graph's size.
#ifndef PLANNER_SIM_LARGE_ALLOCATOR_H_
#define PLANNER_SIM_LARGE_ALLOCATOR_H_

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace planner::sim {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

template <typename T>
struct LargeAllocator {
  using value_type = T;

  LargeAllocator() = default;
  template <typename U>
  LargeAllocator(const LargeAllocator<U>&) {}  // NOLINT: rebinding, as allocators must

  T* allocate(size_t n) {
    if (n > std::allocator_traits<std::allocator<T>>::max_size(std::allocator<T>{})) {
      throw std::bad_array_new_length();
    }
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) return std::allocator<T>{}.allocate(n);
    const size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
    void* block = std::aligned_alloc(kHugePageBytes, rounded);
    if (block == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    madvise(block, rounded, MADV_HUGEPAGE);  // advice only: without it, 4-KiB pages as before
#endif
    return static_cast<T*>(block);
  }

  void deallocate(T* block, size_t n) {
    if (n * sizeof(T) < kHugePageBytes) {
      std::allocator<T>{}.deallocate(block, n);
    } else {
      std::free(block);
    }
  }

  template <typename U>
  bool operator==(const LargeAllocator<U>&) const {
    return true;
  }
};

// A vector whose large buffers sit on huge pages.
template <typename T>
using LargeVector = std::vector<T, LargeAllocator<T>>;

}  // namespace planner::sim

#endif  // PLANNER_SIM_LARGE_ALLOCATOR_H_
