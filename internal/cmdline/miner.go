package cmdline

import (
	"fmt"
	"strings"
)

// Program names of cryptocurrency miners and of miner malware families.
var minerNames = set("xmrig", "xmrig-notls", "xmrig-cuda", "xmrig-proxy", "xmr-stak", "xmr-stak-cpu", "xmr-stak-rx",
	"minerd", "cpuminer", "cpuminer-multi", "cpuminer-opt", "t-rex", "nbminer", "ethminer", "lolminer", "phoenixminer",
	"teamredminer", "gminer", "ccminer", "bminer", "nanominer", "srbminer", "srbminer-multi", "cgminer",
	"bfgminer", "kawpowminer", "wildrig", "wildrig-multi", "z-enemy", "miniz", "nheqminer", "sgminer", "bzminer",
	"rigel", "onezerominer", "hellminer", "cryptodredge", "ethdcrminer64", "kdevtmpfsi", "kinsing")

// Substrings that name a miner inside a URL or file name (xmrig-6.21.0-linux-x64.tar.gz).
var minerSubstrings = []string{"xmrig", "xmr-stak", "cpuminer", "nbminer", "lolminer", "phoenixminer", "teamredminer",
	"ethminer", "ccminer", "srbminer", "nanominer", "kawpowminer", "cgminer", "bfgminer", "kdevtmpfsi", "kinsing"}

// Registered domains of public mining pools.
var poolDomains = set("supportxmr.com", "minexmr.com", "moneroocean.stream", "nanopool.org", "2miners.com",
	"hashvault.pro", "c3pool.com", "c3pool.org", "f2pool.com", "herominers.com", "unmineable.com", "nicehash.com",
	"xmrpool.eu", "xmrpool.net", "minergate.com", "ethermine.org", "flypool.org", "miningpoolhub.com", "viabtc.com",
	"antpool.com", "dwarfpool.com", "crypto-pool.fr", "monerohash.com", "zergpool.com", "zpool.ca", "mining-dutch.nl",
	"woolypooly.com", "kryptex.network", "xmrfast.com", "hashcity.org", "ethpool.org", "sparkpool.com", "poolin.com",
	"moneropool.com", "monero.hashvault.pro", "p2pool.io", "hiveon.net", "ezil.me", "k1pool.com", "skypool.org",
	"gntl.uk", "rplant.xyz", "zhash.pro", "prohashing.com", "solopool.org", "luckpool.net")

// Ports mining pools conventionally listen on.
var poolPorts = set("3333", "4444", "5555", "6666", "7777", "10128", "13333", "14433", "14444", "45560", "45700")

// Programs whose -o or --url is not a pool (curl -o file, ssh -o Option, kubectl -o json).
var notMiners = set("curl", "wget", "ssh", "scp", "sftp", "mount", "gcc", "cc", "clang", "go", "kubectl", "oc", "helm",
	"jq", "yq", "sort", "tar", "zip", "unzip", "openssl", "pg_dump", "pg_restore", "mysqldump", "psql", "mysql",
	"java", "ffmpeg", "docker", "podman", "git", "rsync", "aria2c", "fetch", "nc", "ncat", "socat", "ld", "as",
	"gpg", "sed", "awk", "pandoc", "convert", "http", "xh")

// minerName reports whether a program name is a miner's.
func minerName(name string) bool {
	n := strings.ToLower(name)
	if minerNames[n] {
		return true
	}
	return strings.HasPrefix(n, "xmrig") || strings.HasPrefix(n, "xmr-stak") || strings.HasPrefix(n, "cpuminer")
}

// miner checks a command's name and arguments for a cryptocurrency miner.
func (st *state) miner(c *cmd) {
	if minerName(c.name) {
		st.emit(Miner, fmt.Sprintf("%s is a cryptocurrency miner", c.name), c.ev(), "")
		return
	}
	w := c.w
	code := family(c.name) != ""
	for i := 1; i < len(w); i++ {
		a := w[i].s
		if code && strings.ContainsAny(a, " \t\n") {
			continue // a script or code, analysed on its own
		}
		if d := minerArg(a); len(a) >= 4 && d != "" {
			st.emit(Miner, d, c.ev(), poolURL(a))
			return
		}
		// -o/--url host:port of a pool port; -u/--user a wallet.
		name, value, attached := a, "", false
		if strings.HasPrefix(a, "--") {
			if n, v, ok := strings.Cut(a, "="); ok {
				name, value, attached = n, v, true
			}
		}
		if !attached && i+1 < len(w) {
			value = w[i+1].s
		}
		switch name {
		case "-o", "--url", "-url", "--pool", "-P":
			if notMiners[c.name] {
				continue
			}
			if port := poolPort(value); port != "" {
				st.emit(Miner, fmt.Sprintf("mining pool port %s in %s %s", port, name, value), c.ev(), value)
				return
			}
		case "-u", "--user", "--wallet", "-w", "--userpass", "-O":
			if moneroWallet(value) {
				st.emit(Miner, fmt.Sprintf("Monero wallet address in %s", name), c.ev(), "")
				return
			}
		}
	}
}

// minerArg checks one argument (or environment value) for what only miners use.
func minerArg(a string) string {
	if hasFold(a, "stratum") {
		l := strings.ToLower(a)
		for _, p := range []string{"stratum+", "stratum1+", "stratum2+", "stratum://", "stratum+tcp", "stratum+ssl"} {
			if strings.Contains(l, p) {
				return "stratum mining pool URL " + a
			}
		}
	}
	if strings.HasPrefix(a, "--donate-level") || strings.HasPrefix(a, "--donate-over-proxy") ||
		strings.HasPrefix(a, "--randomx-") || strings.HasPrefix(a, "--cpu-max-threads-hint") {
		return "cryptominer option " + a
	}
	if hasFold(a, "xmr") || hasFold(a, "miner") || hasFold(a, "kinsing") || hasFold(a, "kdevtmpfsi") {
		l := strings.ToLower(a)
		for _, m := range minerSubstrings {
			if strings.Contains(l, m) {
				return "reference to the " + m + " miner in " + a
			}
		}
	}
	if strings.IndexByte(a, '.') > 0 {
		if h := urlHost(a); h != "" && poolDomain(h) {
			return "mining pool host " + h
		}
	}
	if len(a) >= 95 && moneroWallet(a) {
		return "Monero wallet address"
	}
	return ""
}

func poolURL(a string) string {
	if strings.Contains(a, "://") || strings.Count(a, ":") == 1 {
		return a
	}
	return ""
}

// poolDomain reports hosts under a known mining pool domain.
func poolDomain(h string) bool {
	for {
		if poolDomains[h] {
			return true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 || strings.Count(h, ".") < 2 {
			return false
		}
		h = h[i+1:]
	}
}

// poolPort returns the port of [scheme://]host:port when it is a mining pool's.
func poolPort(v string) string {
	s := v
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimSuffix(s, "/")
	if strings.ContainsAny(s, "/ ") {
		return ""
	}
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return ""
	}
	// Pools are on the internet: the same port on a service of the cluster or the node is
	// an ordinary service (or a local miner proxy), not reported.
	if classifyHost(urlHost(s[:i])) != destExternal {
		return ""
	}
	if port := s[i+1:]; poolPorts[port] {
		return port
	}
	return ""
}

// moneroWallet reports a Monero address (95 or 106 base58 characters starting with 4 or 8),
// possibly followed by .worker, +difficulty or /email as pools accept.
func moneroWallet(v string) bool {
	if i := strings.IndexAny(v, ".+/:"); i >= 0 {
		v = v[:i]
	}
	if len(v) != 95 && len(v) != 106 {
		return false
	}
	if v[0] != '4' && v[0] != '8' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= '1' && c <= '9' || c >= 'A' && c <= 'H' || c >= 'J' && c <= 'N' || c >= 'P' && c <= 'Z' ||
			c >= 'a' && c <= 'k' || c >= 'm' && c <= 'z') {
			return false
		}
	}
	return true
}

// hasFold reports whether s contains the lower-case ASCII word sub in any case.
func hasFold(s, sub string) bool {
	n := len(sub)
	if n == 0 {
		return true
	}
	first := sub[0]
	for i := 0; i+n <= len(s); i++ {
		c := s[i]
		if c|0x20 != first {
			continue
		}
		j := 1
		for j < n && s[i+j]|0x20 == sub[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}
