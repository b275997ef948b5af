package main

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"unsafe"
)

// resources is what the process holds that a skeleton could leave behind.
type resources struct {
	// fds maps each open file descriptor to what it refers to ("anon_inode:bpf-map").
	fds map[string]string
	// maps is the number of named mappings in /proc/self/maps: files, and the maps of BPF
	// maps ("anon_inode:bpf-map"). Anonymous ones are not counted: the Go runtime maps and
	// unmaps its own memory at any time, and may reuse the addresses of unmapped views.
	maps int
}

// snapshot lists the process's fds and counts its mappings.
func snapshot() (resources, error) {
	dir := "/proc/self/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return resources{}, err
	}
	r := resources{fds: map[string]string{}}
	for _, e := range entries {
		// The listing's own fd is closed again by now: Readlink fails on it.
		if target, err := os.Readlink(dir + "/" + e.Name()); err == nil {
			r.fds[e.Name()] = target
		}
	}
	text, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return resources{}, err
	}
	for _, line := range strings.Split(string(text), "\n") {
		// address perms offset dev inode [name]
		if len(strings.Fields(line)) > 5 {
			r.maps++
		}
	}
	return r, nil
}

// baseline is the snapshot to compare with, taken once the Go runtime holds what it keeps:
// its poller's fds, which it opens with the first file.
func baseline() (resources, error) {
	if _, err := snapshot(); err != nil {
		return resources{}, err
	}
	return snapshot()
}

// leaked lists the fds open now that were not in before, as "fd -> target".
func leaked(before, now resources) []string {
	var extra []string
	for fd, target := range now.fds {
		if before.fds[fd] != target {
			extra = append(extra, fd+" -> "+target)
		}
	}
	sort.Strings(extra)
	return extra
}

// viewPointers are the skeleton's typed views that are set: its exported pointer fields.
func viewPointers(s skeleton) []unsafe.Pointer {
	v := reflect.ValueOf(s).Elem()
	var views []unsafe.Pointer
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if v.Type().Field(i).IsExported() && f.Kind() == reflect.Pointer && !f.IsNil() {
			views = append(views, f.UnsafePointer())
		}
	}
	return views
}

// setFDs counts the non-zero fds of a struct of handles: Links (ints), or Maps and Progs
// (handles with an FD method).
func setFDs(handles reflect.Value) int {
	n := 0
	for i := 0; i < handles.NumField(); i++ {
		f := handles.Field(i)
		var fd int64
		if f.Kind() == reflect.Int {
			fd = f.Int()
		} else {
			fd = f.Addr().MethodByName("FD").Call(nil)[0].Int()
		}
		if fd != 0 {
			n++
		}
	}
	return n
}

// fieldFDs counts the non-zero fds in the skeleton's field name (Maps, Progs, Links).
func fieldFDs(s skeleton, name string) int {
	return setFDs(reflect.ValueOf(s).Elem().FieldByName(name))
}

// printLeaks reports what is left after Close compared with before.
func printLeaks(before resources) error {
	now, err := snapshot()
	if err != nil {
		return err
	}
	extra := leaked(before, now)
	fmt.Printf("fds_leaked %d\n", len(extra))
	for _, e := range extra {
		fmt.Printf("leaked %s\n", e)
	}
	fmt.Printf("maps_leaked %d\n", now.maps-before.maps)
	return nil
}
