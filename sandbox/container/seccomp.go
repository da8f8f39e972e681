package container

import (
	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"
)

// deniedSyscalls fail with EPERM in every sandbox. The user namespace
// already keeps these from touching the host; the filter also keeps an
// action from reaching the kernel code behind them at all (module
// loading, kexec, keyrings, BPF, perf, userfaultfd, io_uring, new mounts
// and namespaces), the usual way out of a container. io_uring also runs
// operations in kernel threads that seccomp does not see.
var deniedSyscalls = []string{
	"acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
	"delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
	"get_kernel_syms", "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load",
	"kexec_load", "keyctl", "lookup_dcookie", "mount", "mount_setattr", "move_mount",
	"name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree",
	"perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev",
	"query_module", "quotactl", "quotactl_fd", "reboot", "request_key", "setns",
	"settimeofday", "stime", "swapoff", "swapon", "syslog", "umount", "umount2",
	"unshare", "uselib", "userfaultfd", "ustat", "vhangup", "vm86", "vm86old",
	"fanotify_init", "io_uring_setup", "io_uring_enter", "io_uring_register",
}

// namespaceFlags are the clone flags that make new namespaces; clone
// calls carrying any of them are refused like unshare.
var namespaceFlags = []uint64{
	unix.CLONE_NEWNS, unix.CLONE_NEWUTS, unix.CLONE_NEWIPC, unix.CLONE_NEWUSER,
	unix.CLONE_NEWPID, unix.CLONE_NEWNET, unix.CLONE_NEWCGROUP, unix.CLONE_NEWTIME,
}

// seccompProfile allows everything not listed above. clone3 answers
// ENOSYS because its flags sit in memory a filter cannot read; C
// libraries then fall back to clone, whose flags the filter checks.
func seccompProfile() *configs.Seccomp {
	eperm, enosys := uint(unix.EPERM), uint(unix.ENOSYS)
	p := &configs.Seccomp{
		DefaultAction: configs.Allow,
		Architectures: []string{"amd64", "x86", "x32", "arm64", "arm"},
	}
	for _, name := range deniedSyscalls {
		p.Syscalls = append(p.Syscalls, &configs.Syscall{Name: name, Action: configs.Errno, ErrnoRet: &eperm})
	}
	p.Syscalls = append(p.Syscalls, &configs.Syscall{Name: "clone3", Action: configs.Errno, ErrnoRet: &enosys})
	for _, flag := range namespaceFlags {
		p.Syscalls = append(p.Syscalls, &configs.Syscall{
			Name: "clone", Action: configs.Errno, ErrnoRet: &eperm,
			Args: []*configs.Arg{{Index: 0, Value: flag, ValueTwo: flag, Op: configs.MaskEqualTo}},
		})
	}
	return p
}
