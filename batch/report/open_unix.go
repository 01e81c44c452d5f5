//go:build unix

package report

import "syscall"

// noFollow makes open fail on a symlink, even where O_EXCL alone would
// not be asked (reopening credentials.csv to filter it).
const noFollow = syscall.O_NOFOLLOW
