package cmdline

import (
	"path"
	"strings"
)

// Archives and clones: "tar xzf a.tgz -C /opt", "unzip a.zip -d /opt" and "git clone URL dir" fill
// a directory with files the script never names. When what they unpack was downloaded, every
// file under that directory is remote content, and running one is running a download.

// maxTrees bounds the directories remembered per analysis.
const maxTrees = 64

// recordTree remembers that dir ("." for the working directory) holds the files of v, put there
// how ("unpacked", "cloned").
func (st *state) recordTree(dir string, v val, how string) {
	if v.fl&fRemote == 0 || len(st.r.trees) >= maxTrees {
		return
	}
	if dir == "" {
		dir = "."
	}
	dir = st.inCwd(dir)
	if st.r.trees == nil {
		st.r.trees = make(map[string]val)
	}
	v.src += " (" + how + " into " + dir + ")"
	v.known, v.ph, v.file = false, false, nil
	st.r.trees[cleanPath(dir)] = v
}

// treeFile returns the content of file p when it lies in a directory recordTree filled, and that
// directory. Relative paths are taken from the directory cd moved to. An archive unpacked into
// the starting directory "." holds the relative paths in a directory ("xmrig-6.21/xmrig",
// "./bin/run"), which is how archives are laid out, but not a bare "./run.sh" that the image may
// have brought. An archive unpacked into / is not followed: every program would be in it.
func (st *state) treeFile(p string) (val, string, bool) {
	if len(st.r.trees) == 0 || p == "" {
		return val{}, "", false
	}
	p = st.inCwd(cleanPath(p))
	best, found := "", false
	for dir := range st.r.trees {
		in := false
		switch {
		case dir == ".":
			in = !strings.HasPrefix(p, "/") && strings.Contains(p, "/")
		case dir != "/":
			in = strings.HasPrefix(p, dir+"/")
		}
		// The deepest directory that holds p ("." last), so that the answer does not depend on
		// map order: two other directories of one length cannot both hold p.
		if in && (!found || rank(dir) > rank(best)) {
			best, found = dir, true
		}
	}
	if !found {
		return val{}, "", false
	}
	return st.r.trees[best], best, true
}

func rank(dir string) int {
	if dir == "." {
		return 0
	}
	return len(dir)
}

// tar handles tar and bsdtar: an extraction of a downloaded archive fills its directory.
func (st *state) tar(c *cmd) res {
	extract, archive, hasArchive, dir := false, val{}, false, ""
	var pending []byte // bundled options still waiting for their value: f or C
	for i := 1; i < len(c.w); i++ {
		a := c.w[i].s
		switch {
		case len(pending) > 0 && !strings.HasPrefix(a, "-"):
			switch pending[0] {
			case 'f':
				archive, hasArchive = c.w[i], true
			case 'C':
				dir = a
			}
			pending = pending[1:]
		case a == "--extract" || a == "--get":
			extract = true
		case strings.HasPrefix(a, "--file="):
			archive, hasArchive = lit(a[len("--file="):]), true
		case a == "--file" && i+1 < len(c.w):
			i++
			archive, hasArchive = c.w[i], true
		case strings.HasPrefix(a, "--directory="):
			dir = a[len("--directory="):]
		case a == "--directory" && i+1 < len(c.w):
			i++
			dir = c.w[i].s
		case strings.HasPrefix(a, "--"):
		case strings.HasPrefix(a, "-") || i == 1:
			// "-xzf a.tgz", "-C dir", or the old form "xzf a.tgz" as the first word.
			for j := strings.IndexFunc(a, func(r rune) bool { return r != '-' }); j >= 0 && j < len(a); j++ {
				switch a[j] {
				case 'x':
					extract = true
				case 'f', 'C':
					if rest := a[j+1:]; rest != "" && strings.HasPrefix(a, "-") {
						// The value is attached: "-C/opt", "-xzfa.tgz".
						if a[j] == 'f' {
							archive, hasArchive = lit(rest), true
						} else {
							dir = rest
						}
						j = len(a)
						continue
					}
					pending = append(pending, a[j])
				}
			}
		}
	}
	if extract {
		content := c.in
		if hasArchive && archive.s != "-" {
			content = st.fileContent(archive, c.host)
		}
		st.recordTree(dir, content, "unpacked")
	}
	return st.filter(c)
}

// unzip handles unzip: an extraction of a downloaded archive fills its directory (-d DIR).
func (st *state) unzip(c *cmd) res {
	ops := operands(c.w, "dxP", nil)
	dir := ""
	for i := 1; i < len(c.w); i++ {
		if a := c.w[i].s; a == "-d" && i+1 < len(c.w) {
			dir = c.w[i+1].s
		} else if strings.HasPrefix(a, "-d") && len(a) > 2 {
			dir = a[2:]
		}
	}
	if len(ops) > 0 {
		st.recordTree(dir, st.fileContent(ops[0], c.host), "unpacked")
	}
	return st.other(c)
}

// gitClone handles "git clone URL [DIR]": the clone's files come from URL.
func (st *state) gitClone(c *cmd) {
	sub := 0 // the subcommand, after git's own options
	for i := 1; i < len(c.w) && sub == 0; i++ {
		switch a := c.w[i].s; {
		case a == "-c" || a == "-C" || a == "--git-dir" || a == "--work-tree" || a == "--namespace":
			i++ // the option's value
		case !strings.HasPrefix(a, "-"):
			sub = i
		}
	}
	if sub == 0 || c.w[sub].s != "clone" {
		return
	}
	ops := operands(c.w[sub:], "bcjou", []string{"branch", "config", "depth", "origin", "reference",
		"template", "jobs", "filter", "upload-pack", "separate-git-dir", "shallow-since", "shallow-exclude"})
	if len(ops) == 0 {
		return
	}
	u := ops[0].s
	if !remoteRepo(u) {
		return
	}
	dir := strings.TrimSuffix(path.Base(strings.TrimRight(u, "/")), ".git")
	if len(ops) > 1 {
		dir = ops[1].s
	}
	v := st.downloaded(c, u)
	if v.fl&fDownload != 0 {
		v.src = "git clone " + u
	}
	st.recordTree(dir, v, "cloned")
}

// remoteRepo reports whether git clones u over the network: a URL other than file://, or the
// scp-like "user@host:path" form; not a local path.
func remoteRepo(u string) bool {
	if scheme, _, ok := strings.Cut(u, "://"); ok {
		return scheme != "file"
	}
	at, colon := strings.IndexByte(u, '@'), strings.IndexByte(u, ':')
	return at > 0 && colon > at && !strings.Contains(u[:colon], "/")
}

// inCwd returns the path p names from the directory cd moved to: relative paths are joined to
// it; "." is the starting directory, whatever it is.
func (st *state) inCwd(p string) string {
	if st.r.cwd == "" || strings.HasPrefix(p, "/") {
		return p
	}
	return path.Join(st.r.cwd, p)
}

// chdir follows cd and pushd, for the paths of unpacked downloads. A directory that is not known
// (cd with no argument, "cd -", "cd $DIR") makes the working directory unknown again, which is
// taken as the starting one.
func (st *state) chdir(c *cmd) {
	ops := operands(c.w, "", nil)
	if len(ops) == 0 || !ops[0].known || ops[0].s == "-" || ops[0].s == "" {
		st.r.cwd = ""
		return
	}
	st.r.cwd = st.inCwd(cleanPath(ops[0].s))
	if st.r.cwd == "." {
		st.r.cwd = ""
	}
}
