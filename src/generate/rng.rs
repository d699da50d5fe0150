//! Deterministic pseudo-random numbers: xoshiro256** seeded through SplitMix64.
//!
//! Written here rather than taken from `rand` so that the byte stream of a generated file
//! depends only on this code and the seed, not on a dependency's version.

/// xoshiro256** state.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed`; SplitMix64 spreads small seeds over the whole state, which
    /// xoshiro needs (an all-zero state would stay zero).
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        Rng {
            s: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    /// An independent stream for one patient: patients can then be regenerated (or skipped)
    /// without replaying the ones before them.
    pub fn fork(seed: u64, index: u64) -> Rng {
        Rng::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03).rotate_left(17))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (0 when `n` is 0), by Lemire's multiply-shift; the bias for the small
    /// `n` used here is far below anything a frequency check could see.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A uniformly chosen element (`None` for an empty slice).
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        xs.get(self.below(xs.len() as u64) as usize)
    }
}

/// A weighted table: draws an entry with probability weight / total, by binary search over
/// the cumulative weights.
#[derive(Debug, Clone)]
pub struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<f64>,
}

impl<T> Weighted<T> {
    /// Entries with a weight that is not a positive finite number are dropped.
    pub fn new(pairs: impl IntoIterator<Item = (f64, T)>) -> Weighted<T> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (w, item) in pairs {
            if w.is_finite() && w > 0.0 {
                total += w;
                items.push(item);
                cumulative.push(total);
            }
        }
        Weighted { items, cumulative }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn total(&self) -> f64 {
        self.cumulative.last().copied().unwrap_or(0.0)
    }

    pub fn items(&self) -> impl Iterator<Item = (f64, &T)> {
        let mut prev = 0.0;
        self.cumulative.iter().zip(&self.items).map(move |(c, t)| {
            let w = c - prev;
            prev = *c;
            (w, t)
        })
    }

    pub fn draw(&self, rng: &mut Rng) -> Option<&T> {
        let x = rng.unit() * self.total();
        let i = self.cumulative.partition_point(|c| *c <= x);
        self.items.get(i.min(self.items.len().saturating_sub(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn weighted_follows_weights() {
        let w = Weighted::new([(1.0, 'a'), (3.0, 'b'), (0.0, 'c')]);
        let mut rng = Rng::new(1);
        let b = (0..10_000)
            .filter(|_| w.draw(&mut rng) == Some(&'b'))
            .count();
        assert!((7_200..7_800).contains(&b), "{b}");
        assert_eq!(w.len(), 2);
    }
}
