//! Fibers: the threads of a block, each on a stack of its own, switched by
//! hand in a few instructions (`swapcontext` makes a system call per switch
//! to save the signal mask; a block switches at every barrier and shuffle).
//!
//! `cudasim_switch(save, to)` pushes the callee-saved registers and the
//! floating-point control words, stores the stack pointer in `*save`, loads
//! `to` and pops the same from there. A new fiber's stack is laid out as if
//! it had switched away just before entering `cudasim_fiber_start`, which
//! calls `entry(arg)`; `entry` never returns.

#[cfg(not(target_arch = "x86_64"))]
compile_error!("the CUDA simulator's fibers are written for x86_64");

std::arch::global_asm!(
    ".text",
    ".global cudasim_switch",
    ".hidden cudasim_switch",
    "cudasim_switch:",
    "push rbp",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "sub rsp, 8",
    "stmxcsr [rsp]",
    "fnstcw [rsp + 4]",
    "mov [rdi], rsp",
    "mov rsp, rsi",
    "ldmxcsr [rsp]",
    "fldcw [rsp + 4]",
    "add rsp, 8",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret",
    ".global cudasim_fiber_start",
    ".hidden cudasim_fiber_start",
    "cudasim_fiber_start:",
    "mov rdi, r12",
    "call r13",
    "ud2",
);

extern "C" {
    /// Save the current context into `*save` and resume the one at `to`.
    pub fn cudasim_switch(save: *mut usize, to: usize);
    fn cudasim_fiber_start();
}

/// A fiber's stack: `size` usable bytes above a guard page.
pub struct Stack {
    map: usize,
    len: usize,
}

impl Stack {
    pub fn new(size: usize) -> Option<Stack> {
        let len = size + crate::memory::PAGE;
        // SAFETY: a fresh private mapping; the lowest page becomes the guard.
        unsafe {
            let m = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                -1,
                0,
            );
            if m == libc::MAP_FAILED {
                return None;
            }
            libc::mprotect(m, crate::memory::PAGE, libc::PROT_NONE);
            Some(Stack {
                map: m as usize,
                len,
            })
        }
    }

    /// The highest address, 16-byte aligned.
    pub fn top(&self) -> usize {
        (self.map + self.len) & !15
    }

    /// A context that starts `entry(arg)` on this stack when switched to.
    pub fn start(&self, entry: extern "C" fn(usize) -> !, arg: usize) -> usize {
        let top = self.top();
        let mut mxcsr: u32 = 0;
        let mut fpucw: u16 = 0;
        // SAFETY: reads the current control words into locals.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut mxcsr);
            std::arch::asm!("fnstcw [{}]", in(reg) &mut fpucw);
        }
        // After the pops, `ret` takes cudasim_fiber_start from top - 24 and
        // leaves rsp = top - 16: 16-aligned before its `call`, as the ABI wants.
        let sp = top - 80;
        let words: [usize; 9] = [
            (mxcsr as usize) | ((fpucw as usize) << 32), // control words
            0,                                           // r15
            0,                                           // r14
            entry as usize,                              // r13
            arg,                                         // r12
            0,                                           // rbx
            0,                                           // rbp
            cudasim_fiber_start as *const () as usize,   // return address
            0,
        ];
        // SAFETY: the nine words lie inside the stack below `top`.
        unsafe { std::ptr::copy_nonoverlapping(words.as_ptr(), sp as *mut usize, words.len()) };
        sp
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: our own mapping, not in use by any fiber any more.
        unsafe { libc::munmap(self.map as *mut libc::c_void, self.len) };
    }
}
