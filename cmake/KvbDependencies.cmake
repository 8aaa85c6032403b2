# Third-party dependencies. Everything but LibTorch comes from Debian packages
# (scripts/setup.sh installs them); LibTorch comes from the torch==2.11.0 wheel.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(SQLite3 REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc icu-i18n)
pkg_check_modules(SENTENCEPIECE REQUIRED IMPORTED_TARGET sentencepiece)

# LibTorch: the caller passes -DCMAKE_PREFIX_PATH=$(python -c 'import torch; print(torch.utils.cmake_prefix_path)').
# The CUDA wheel's TorchConfig looks for the CUDA toolkit; on a machine without nvcc we tell it not to.
find_program(KVB_NVCC nvcc HINTS /usr/local/cuda/bin)
if(KVB_ENABLE_CUDA STREQUAL "OFF" OR NOT KVB_NVCC)
  set(KVB_WITH_CUDA OFF)
else()
  set(KVB_WITH_CUDA ON)
endif()
if(KVB_WITH_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  set(CMAKE_CUDA_COMPILER ${KVB_NVCC})
  enable_language(CUDA)
  set(CMAKE_CUDA_STANDARD 17)
  # Torch's cmake otherwise appends flags for a dozen architectures.
  if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
    list(GET CMAKE_CUDA_ARCHITECTURES 0 kvb_first_arch)
    math(EXPR kvb_major "${kvb_first_arch} / 10")
    math(EXPR kvb_minor "${kvb_first_arch} % 10")
    set(TORCH_CUDA_ARCH_LIST "${kvb_major}.${kvb_minor}")
  endif()
endif()
find_package(Torch REQUIRED)
if(KVB_WITH_CUDA AND NOT TORCH_CUDA_LIBRARIES AND NOT TARGET torch_cuda)
  if(KVB_ENABLE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "KVB_ENABLE_CUDA=ON but the LibTorch found has no CUDA")
  endif()
  set(KVB_WITH_CUDA OFF)
endif()
message(STATUS "kvbench: CUDA kernels ${KVB_WITH_CUDA}")

# Torch's imported target carries flags we want only on torch-linked targets.
add_library(kvb_torch INTERFACE)
# libstdc++ first: libtorch.so exports its own copies of some std::filesystem symbols
# (remove_all among them) that crash when called from our code, and the dynamic linker
# binds to whichever library is NEEDED first.
target_link_libraries(kvb_torch INTERFACE stdc++ ${TORCH_LIBRARIES})
target_compile_options(kvb_torch INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wno-unused-parameter>)
