//! The simulated machine: how many GPUs, their compute capability and SM
//! count, and the order in which each runs a block's threads.
//!
//! From the environment when the driver initialises (`CUDASIM_DEVICES=N`,
//! `CUDASIM_ARCH=90[,80..]`, `CUDASIM_SMS=132[,8..]`,
//! `CUDASIM_ORDER=forward|reverse|shuffle:SEED[,..]`; a list gives one value
//! per device, its last value repeating), or from `cudasim_configure` with
//! the same keys in one string (`devices=2 arch=90 sms=132,8 order=forward,reverse`),
//! which a test harness calls before the first driver call.

/// How a block's runnable threads are ordered between barriers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Forward,
    Reverse,
    /// A permutation drawn per block and per pass from the seed.
    Shuffle(u64),
}

impl Order {
    fn parse(s: &str) -> Result<Order, String> {
        match s {
            "forward" => Ok(Order::Forward),
            "reverse" => Ok(Order::Reverse),
            _ => s
                .strip_prefix("shuffle:")
                .and_then(|v| v.parse().ok())
                .map(Order::Shuffle)
                .ok_or_else(|| format!("order `{s}`: expected forward, reverse or shuffle:SEED")),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Order::Forward => "forward order".into(),
            Order::Reverse => "reverse order".into(),
            Order::Shuffle(s) => format!("shuffled order, seed {s}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSpec {
    /// Compute capability as major·10 + minor (90 = sm_90).
    pub arch: u32,
    pub sms: u32,
    pub order: Order,
}

impl DeviceSpec {
    pub fn name(&self, ordinal: usize) -> String {
        format!(
            "simulator cuda:{ordinal} (sm_{}, {} SMs, {})",
            self.arch,
            self.sms,
            self.order.describe()
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub devices: Vec<DeviceSpec>,
}

/// The checks, each of which `CUDASIM_DISABLE=name,...` can switch off: only
/// to see that the test planted for it then fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checks {
    /// `nan-fill`: new allocations hold 0xFF bytes.
    pub nan_fill: bool,
    /// `guards`: guard pages around allocations, freed blocks made inaccessible.
    pub guards: bool,
    /// `orders`: devices run threads in their configured order (else forward).
    pub orders: bool,
    /// `barriers`: divergent barriers and shuffles are errors.
    pub barriers: bool,
    /// `queues`: streams are queues (else every op runs when it is issued).
    pub queues: bool,
}

impl Checks {
    pub fn from_env() -> Checks {
        let off = std::env::var("CUDASIM_DISABLE").unwrap_or_default();
        let on = |name: &str| !off.split(',').any(|x| x.trim() == name);
        Checks {
            nan_fill: on("nan-fill"),
            guards: on("guards"),
            orders: on("orders"),
            barriers: on("barriers"),
            queues: on("queues"),
        }
    }
}

fn list<T>(v: &str, what: &str, f: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    v.split(',')
        .map(|x| f(x.trim()).map_err(|e| format!("{what}: {e}")))
        .collect()
}

fn pick<T: Clone>(v: &[T], i: usize, default: T) -> T {
    v.get(i).or(v.last()).cloned().unwrap_or(default)
}

fn number(s: &str) -> Result<u32, String> {
    s.trim_start_matches("sm_")
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))
}

impl Config {
    /// From `key=value` pairs; missing keys take the defaults (1 GPU, sm_90,
    /// 132 SMs, forward order).
    pub fn from_pairs<'a>(
        pairs: impl Iterator<Item = (&'a str, String)>,
    ) -> Result<Config, String> {
        let (mut n, mut arch, mut sms, mut order) = (None, vec![], vec![], vec![]);
        for (k, v) in pairs {
            match k {
                "devices" => n = Some(number(&v)? as usize),
                "arch" => arch = list(&v, "arch", number)?,
                "sms" => sms = list(&v, "sms", number)?,
                "order" => order = list(&v, "order", Order::parse)?,
                _ => return Err(format!("unknown key `{k}` (devices, arch, sms, order)")),
            }
        }
        let n = n.unwrap_or(1);
        if n > 16 {
            return Err(format!("devices={n}: at most 16"));
        }
        let devices = (0..n)
            .map(|i| DeviceSpec {
                arch: pick(&arch, i, 90),
                sms: pick(&sms, i, 132).max(1),
                order: pick(&order, i, Order::Forward),
            })
            .collect();
        Ok(Config { devices })
    }

    pub fn from_env() -> Result<Config, String> {
        let keys = [
            ("devices", "CUDASIM_DEVICES"),
            ("arch", "CUDASIM_ARCH"),
            ("sms", "CUDASIM_SMS"),
            ("order", "CUDASIM_ORDER"),
        ];
        let pairs: Vec<(&str, String)> = keys
            .iter()
            .filter_map(|(k, var)| std::env::var(var).ok().map(|v| (*k, v)))
            .collect();
        Config::from_pairs(pairs.into_iter())
    }

    pub fn from_spec(spec: &str) -> Result<Config, String> {
        let pairs: Vec<(&str, String)> = spec
            .split_whitespace()
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k, v.to_string()))
                    .ok_or_else(|| format!("`{kv}`: expected key=value"))
            })
            .collect::<Result<_, _>>()?;
        Config::from_pairs(pairs.into_iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_repeat_their_last_value() {
        let c = Config::from_spec("devices=3 sms=132,8 order=forward,shuffle:7").unwrap();
        let sms: Vec<u32> = c.devices.iter().map(|d| d.sms).collect();
        assert_eq!(sms, [132, 8, 8]);
        assert_eq!(c.devices[2].order, Order::Shuffle(7));
        assert_eq!(c.devices[0].arch, 90);
        assert!(Config::from_spec("order=sideways").is_err());
        assert!(Config::from_spec("colour=blue").is_err());
        assert_eq!(Config::from_spec("").unwrap().devices.len(), 1);
    }
}
