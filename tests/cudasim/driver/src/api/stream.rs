//! Streams and events. Nothing queued runs until something waits for it.

use super::{after_run, current_device, put, status, with, Res};
use crate::sim::{Event, Op, Sim};
use cudarc::driver::sys::{CUevent, CUresult, CUstream};
use std::ffi::{c_int, c_uint};

fn stream(s: &mut Sim, h: CUstream) -> Res<usize> {
    let d = current_device(s)?;
    s.stream_key(h as usize, d)
        .ok_or(CUresult::CUDA_ERROR_INVALID_HANDLE)
}

fn event(s: &Sim, e: CUevent) -> Res<usize> {
    let k = e as usize;
    if s.events.contains_key(&k) {
        Ok(k)
    } else {
        Err(CUresult::CUDA_ERROR_INVALID_HANDLE)
    }
}

/// # Safety
/// `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuStreamCreate(out: *mut CUstream, _flags: c_uint) -> CUresult {
    status(with(|s| {
        let d = current_device(s)?;
        let h = s.new_stream(d);
        put(out, h as CUstream)
    }))
}

/// # Safety
/// `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuStreamCreateWithPriority(
    out: *mut CUstream,
    flags: c_uint,
    _priority: c_int,
) -> CUresult {
    cuStreamCreate(out, flags)
}

/// # Safety
/// Valid pointers.
#[no_mangle]
pub unsafe extern "C" fn cuCtxGetStreamPriorityRange(
    least: *mut c_int,
    greatest: *mut c_int,
) -> CUresult {
    if !least.is_null() {
        *least = 0;
    }
    if !greatest.is_null() {
        *greatest = -5;
    }
    CUresult::CUDA_SUCCESS
}

/// The stream's queued work still runs (the real call returns at once and
/// the GPU finishes it).
#[no_mangle]
pub extern "C" fn cuStreamDestroy_v2(h: CUstream) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        s.remove_stream(st);
        after_run(s)
    }))
}

#[no_mangle]
pub extern "C" fn cuStreamSynchronize(h: CUstream) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        let d = s.streams[&st].device;
        let q = crate::counts::Queue::Stream(st);
        s.counts.add(d, q, "sync", "stream_synchronize", 0);
        s.run_stream(st);
        after_run(s)
    }))
}

/// Runs the stream, as a poll would eventually find it idle (a poll does not
/// block the host: counted as a query, not a synchronisation).
#[no_mangle]
pub extern "C" fn cuStreamQuery(h: CUstream) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        let d = s.streams[&st].device;
        s.counts
            .add(d, crate::counts::Queue::Stream(st), "query", "stream", 0);
        s.run_stream(st);
        after_run(s)
    }))
}

/// `h` waits (when it runs) for the event's last record at this call.
#[no_mangle]
pub extern "C" fn cuStreamWaitEvent(h: CUstream, e: CUevent, _flags: c_uint) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        let ev = event(s, e)?;
        if let Some((other, seq)) = s.events[&ev].recorded {
            if other != st {
                s.push(st, Op::Wait { stream: other, seq });
            }
        }
        Ok(())
    }))
}

/// # Safety
/// `out` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuEventCreate(out: *mut CUevent, _flags: c_uint) -> CUresult {
    status(with(|s| {
        current_device(s)?;
        let h = s.handle();
        s.events.insert(h, Event::default());
        put(out, h as CUevent)
    }))
}

#[no_mangle]
pub extern "C" fn cuEventRecord(e: CUevent, h: CUstream) -> CUresult {
    status(with(|s| {
        let ev = event(s, e)?;
        let st = stream(s, h)?;
        let seq = s.tail(st);
        let rec = s.events.get_mut(&ev).expect("checked");
        rec.recorded = Some((st, seq));
        rec.done_at = None;
        s.push(st, Op::Record { event: ev, seq });
        Ok(())
    }))
}

fn run_to_event(s: &mut Sim, ev: usize) -> Res {
    if let Some((st, seq)) = s.events[&ev].recorded {
        s.run_to(st, seq);
    }
    after_run(s)
}

#[no_mangle]
pub extern "C" fn cuEventSynchronize(e: CUevent) -> CUresult {
    event_wait(e, "sync", "event_synchronize")
}

fn event_wait(e: CUevent, kind: &'static str, name: &'static str) -> CUresult {
    status(with(|s| {
        let ev = event(s, e)?;
        let d = super::current_device(s).unwrap_or(0);
        s.counts
            .add(d, crate::counts::Queue::Context, kind, name, 0);
        run_to_event(s, ev)
    }))
}

/// Runs the work before the event, so that a polling loop always ends
/// (counted as a query, not a synchronisation).
#[no_mangle]
pub extern "C" fn cuEventQuery(e: CUevent) -> CUresult {
    event_wait(e, "query", "event")
}

/// # Safety
/// `ms` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuEventElapsedTime(
    ms: *mut f32,
    start: CUevent,
    end: CUevent,
) -> CUresult {
    status(with(|s| {
        let (a, b) = (event(s, start)?, event(s, end)?);
        match (s.events[&a].done_at, s.events[&b].done_at) {
            (Some(t0), Some(t1)) => {
                let d = if t1 >= t0 {
                    (t1 - t0).as_secs_f64()
                } else {
                    -((t0 - t1).as_secs_f64())
                };
                put(ms, (d * 1e3) as f32)
            }
            _ if s.events[&a].recorded.is_none() || s.events[&b].recorded.is_none() => {
                Err(CUresult::CUDA_ERROR_INVALID_HANDLE)
            }
            _ => Err(CUresult::CUDA_ERROR_NOT_READY),
        }
    }))
}

/// # Safety
/// `ms` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuEventElapsedTime_v2(
    ms: *mut f32,
    start: CUevent,
    end: CUevent,
) -> CUresult {
    cuEventElapsedTime(ms, start, end)
}

#[no_mangle]
pub extern "C" fn cuEventDestroy_v2(e: CUevent) -> CUresult {
    status(with(|s| {
        let ev = event(s, e)?;
        s.events.remove(&ev);
        Ok(())
    }))
}
