// The shared object answers to the name cudarc asks for first, so that a copy
// loaded by path (tensor::cuda::simulator) is found when cudarc dlopens
// "libcuda.so"; nodelete keeps it alive through cudarc's probe (dlopen, then
// dlclose, then dlopen again).
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcuda.so");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
}
