//! Asking for CUDA where there is none is an error that says what is
//! missing, never a panic. Its own test binary: the CUDA tests load the
//! simulator into their process, and here the driver must stay out of reach.

use tensor::{DType, Device, Tensor};

#[test]
fn cuda_without_a_gpu_is_an_error_not_a_panic() {
    if kernels::cuda::probe(0).is_ok() {
        return; // a GPU is there: the other tests cover it
    }
    let e = Tensor::zeros(&[2], DType::F32, Device::Cuda(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("CUDA") || e.contains("NVRTC"), "{e}");
    if kernels::cuda::driver_available().is_err() {
        assert!(e.contains("no CUDA driver found (libcuda.so)"), "{e}");
    }
    let x = Tensor::from_vec(vec![1f32, 2.0], &[2]).unwrap();
    assert!(x.to_device(Device::Cuda(0)).is_err());
    assert!(kernels::random::normal(&[3], 0.0, 1.0, 0, 0, Device::Cuda(0)).is_err());
}
