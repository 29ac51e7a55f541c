package backoff

import "math/rand/v2"

// golden is 2^64/φ, the splitmix64 increment; it spreads client indexes over the seed space.
const golden = 0x9e3779b97f4a7c15

// splitmix64 is Steele, Lea and Flood's SplitMix64 finalizer: a bijective mix of 64 bits, used
// to turn small, correlated inputs (a seed, a client index) into well-spread PCG seeds.
func splitmix64(x uint64) uint64 {
	x += golden
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ClientSeeds returns the two PCG seeds of client i of a fleet seeded with seed:
//
//	seed1 = splitmix64(seed)
//	seed2 = splitmix64(seed ^ golden·(i+1))
//
// A client's draws therefore depend only on (seed, i), never on the order in which a driver
// creates or schedules clients, and different clients draw different sequences.
func ClientSeeds(seed int64, i int) (seed1, seed2 uint64) {
	s := uint64(seed)
	return splitmix64(s), splitmix64(s ^ golden*(uint64(i)+1))
}

// ClientRand returns the seeded random source of client i of a fleet seeded with seed:
// math/rand/v2's PCG seeded with ClientSeeds(seed, i). Tests use it to replay a policy's draws.
func ClientRand(seed int64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(ClientSeeds(seed, i)))
}
