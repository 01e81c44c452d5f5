//go:build !unix

package report

// noFollow is 0 where the system has no O_NOFOLLOW; O_EXCL still refuses
// an existing name, symlinks included.
const noFollow = 0
