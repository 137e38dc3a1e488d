//! The macro behind the op tables of `ops`: one row per op holds its name, its
//! parameters, its CPU expression and its CUDA expression, and everything else
//! (the enum, its op code, the f32 parameters the kernel receives, the CPU
//! kernel and the `case` lines of `elementwise.cu`) is generated from the row.
//!
//! Why: the op code used to be written three times (the enum, the launcher's
//! code table and the `case N:` lines of the `.cu`) and kept in step by hand.
//! Now the code is the variant's position in the table, and the CUDA `switch`
//! is spliced into the source at the marker line before NVRTC compiles it.

/// `op_table! { header; rows }` defines one op enum. Header:
///
/// ```text
/// /// docs
/// pub enum UnaryOp;
/// cpu fn apply_unary<T>(s: &[T], l: &Layout) = map1(s, l) over (x);
/// params p0, p1;
/// ```
///
/// Each row is `Name(field: f64, ..) [param0, param1] => cpu_expr, "cuda_expr";`
/// (fields and parameters optional). The parameters are f64 expressions of
/// the fields; the CPU expression sees them as `T` and the CUDA expression as
/// f32, under the names given in `params`; missing ones are 0.
macro_rules! op_table {
    // One arm of the CPU kernel's match: the map call over the row's expression.
    (@cpu $map:ident ($($marg:ident),*) ($($x:ident),+) $t:ident $cpu:tt) => {
        $map($($marg),*, move |$($x: $t),+| -> $t $cpu)
    };
    (
        $(#[$em:meta])*
        pub enum $E:ident;
        cpu fn $apply:ident<$t:ident>($($arg:ident: $aty:ty),*) = $map:ident $margs:tt over $xs:tt;
        params $p0:ident, $p1:ident;
        $(
            $(#[$m:meta])*
            $V:ident $( ( $($f:ident: $ft:ty),* ) )? $( [ $($pe:expr),* ] )? => $cpu:expr, $cuda:literal;
        )*
    ) => {
        $(#[$em])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub enum $E {
            $( $(#[$m])* $V $( ( $($ft),* ) )?, )*
        }

        impl $E {
            /// The op code that the CUDA `switch` dispatches on: the variant's
            /// position in the table.
            pub fn code(self) -> i32 {
                #[allow(dead_code)]
                enum Code {
                    $( $V, )*
                }
                match self {
                    $( $E::$V { .. } => Code::$V as i32, )*
                }
            }

            /// The variant's name, as written in the table.
            pub fn name(self) -> &'static str {
                match self {
                    $( $E::$V { .. } => stringify!($V), )*
                }
            }

            /// The op's two parameters in f64 (0 where unused), computed from
            /// its fields by the table's row; both devices round these.
            #[allow(unused_variables)]
            pub fn params(self) -> [f64; 2] {
                match self {
                    $( $E::$V $( ( $($f),* ) )? => {
                        let given: &[f64] = &[$($($pe),*)?];
                        [given.first().copied().unwrap_or(0.0), given.get(1).copied().unwrap_or(0.0)]
                    } )*
                }
            }

            /// The CUDA C expression of the op (of the operands and `p0`, `p1`).
            pub fn cuda_expr(self) -> &'static str {
                match self {
                    $( $E::$V { .. } => $cuda, )*
                }
            }

            /// One value of every variant (fields set to 0.5), in table order.
            pub fn variants() -> Vec<$E> {
                vec![ $( $E::$V $( ( $( { let _: Option<$ft> = None; 0.5 } ),* ) )?, )* ]
            }

            /// The `case` lines of the CUDA `switch` over op codes, one per
            /// variant, as spliced into `elementwise.cu`.
            pub fn cuda_cases() -> String {
                Self::variants()
                    .into_iter()
                    .map(|op| format!(
                        "        case {}: return {}; // {}\n",
                        op.code(),
                        op.cuda_expr(),
                        op.name()
                    ))
                    .collect()
            }
        }

        /// The CPU kernel: the op's expression over any layouts, in the
        /// strided engine; contiguous out.
        #[allow(unused_variables)]
        pub(crate) fn $apply<$t: $crate::dispatch::KElem>($($arg: $aty),*, op: $E) -> Vec<$t> {
            let [q0, q1] = op.params();
            let ($p0, $p1) = ($t::from_f64(q0), $t::from_f64(q1));
            match op {
                $( $E::$V { .. } => op_table!(@cpu $map $margs $xs $t { $cpu }), )*
            }
        }
    };
}
