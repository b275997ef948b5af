package skelgenrt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// SkelgenRtRingBuf reads a BPF_MAP_TYPE_RINGBUF map: the kernel's ring buffer layout, a
// consumer page the reader writes, then a producer page and the data, mapped twice in a
// row so a record is contiguous even where it wraps.
type SkelgenRtRingBuf struct {
	name     string
	epfd     int
	mask     uintptr
	consumer []byte
	producer []byte
	data     []byte
}

// RingBuf opens a reader of m, a ring buffer map, after Load. On failure nothing is left
// mapped or open.
func (m *SkelgenRtMap) RingBuf() (*SkelgenRtRingBuf, error) {
	op := "read the ring buffer " + m.info.name
	size := int(m.maxEntries)
	if m.info.mapType != skelgenRtMapTypeRingbuf {
		return nil, skelgenRtFail(op, "check the map type, BPF_MAP_TYPE_RINGBUF", syscall.EINVAL)
	}
	if m.fd <= 0 {
		return nil, skelgenRtFail(op, "the map is not loaded", syscall.EBADF)
	}
	if size == 0 || size&(size-1) != 0 {
		return nil, skelgenRtFail(op, "check the size, a power of 2", syscall.EINVAL)
	}
	r := &SkelgenRtRingBuf{name: m.info.name, epfd: -1, mask: uintptr(size - 1)}
	if step, err := r.open(m.fd, size); err != nil {
		r.Close()
		return nil, skelgenRtFail(op, step, err)
	}
	return r, nil
}

// open maps the pages of the ring buffer map fd, of size bytes of data, and watches it;
// on failure it says which step failed.
func (r *SkelgenRtRingBuf) open(fd, size int) (string, error) {
	page := os.Getpagesize()
	var err error
	if r.consumer, err = syscall.Mmap(fd, 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED); err != nil {
		return "mmap of the consumer page", err
	}
	if r.producer, err = syscall.Mmap(fd, int64(page), page+2*size, syscall.PROT_READ, syscall.MAP_SHARED); err != nil {
		return "mmap of the producer page and data", err
	}
	r.data = r.producer[page:]
	if r.epfd, err = skelgenRtEpoll([]int{fd}); err != nil {
		return "epoll of the map", err
	}
	return "", nil
}

// Consume calls fn with every committed record, in order; the slice is valid during the
// call only. It returns how many records fn got; an error from fn stops the reading after
// that record and is returned.
func (r *SkelgenRtRingBuf) Consume(fn func(data []byte) error) (int, error) {
	consumer := (*uintptr)(unsafe.Pointer(&r.consumer[0]))
	producer := (*uintptr)(unsafe.Pointer(&r.producer[0]))
	cons := atomic.LoadUintptr(consumer)
	prod := atomic.LoadUintptr(producer)
	n := 0
	for cons < prod {
		off := cons & r.mask
		header := atomic.LoadUint32((*uint32)(unsafe.Pointer(&r.data[off])))
		payload, advance, err := skelgenRtRingRecord(r.data, off, header)
		if err != nil {
			return n, skelgenRtFail("read the ring buffer "+r.name, "check the record at byte "+strconv.Itoa(int(off)), err)
		}
		if advance == 0 {
			break
		}
		cons += advance
		if payload != nil {
			err := fn(payload)
			n++
			if err != nil {
				atomic.StoreUintptr(consumer, cons)
				return n, err
			}
		}
		atomic.StoreUintptr(consumer, cons)
		if cons >= prod {
			prod = atomic.LoadUintptr(producer)
		}
	}
	return n, nil
}

// The header of a ring buffer record (include/uapi/linux/bpf.h): a length word whose top
// bits say the record is being written or was discarded, then the record's page offset.
const (
	skelgenRtRingBusy    = 1 << 31
	skelgenRtRingDiscard = 1 << 30
	skelgenRtRingHeader  = 8
)

// skelgenRtRingRecord reads the record at off of a ring buffer's data (the ring mapped
// twice in a row, so a record is contiguous where it wraps), whose header word is header:
// its payload, and how far the consumer moves past it, a multiple of 8. A record being
// written moves it by 0 (the reading stops there); a discarded one has a nil payload. A
// length the ring cannot hold is an error: the data is corrupt.
func skelgenRtRingRecord(data []byte, off uintptr, header uint32) (payload []byte, advance uintptr, err error) {
	if header&skelgenRtRingBusy != 0 {
		return nil, 0, nil
	}
	size := uintptr(header &^ (skelgenRtRingBusy | skelgenRtRingDiscard))
	advance = (size + skelgenRtRingHeader + 7) &^ 7
	ring := uintptr(len(data) / 2)
	if off >= ring || advance > ring {
		return nil, 0, fmt.Errorf("a record of %d bytes at byte %d of a ring of %d bytes: %w", size, off, ring, syscall.EINVAL)
	}
	if header&skelgenRtRingDiscard != 0 {
		return nil, advance, nil
	}
	return data[off+skelgenRtRingHeader : off+skelgenRtRingHeader+size], advance, nil
}

// Poll waits up to timeout (negative: for ever) for records, then consumes them.
func (r *SkelgenRtRingBuf) Poll(timeout time.Duration, fn func(data []byte) error) (int, error) {
	if err := skelgenRtWait(r.epfd, timeout); err != nil {
		return 0, skelgenRtFail("read the ring buffer "+r.name, "epoll_wait", err)
	}
	return r.Consume(fn)
}

// Close unmaps the ring buffer; the map stays.
func (r *SkelgenRtRingBuf) Close() error {
	skelgenRtClose(&r.epfd)
	for _, mem := range [][]byte{r.consumer, r.producer} {
		if mem != nil {
			syscall.Munmap(mem)
		}
	}
	r.consumer, r.producer, r.data = nil, nil, nil
	return nil
}

// SkelgenRtPerfBuf reads a BPF_MAP_TYPE_PERF_EVENT_ARRAY map: one BPF-output perf event
// per possible CPU, each with its own ring, stored in the map at the CPU's index (offline
// CPUs are skipped).
type SkelgenRtPerfBuf struct {
	// Lost counts the records the kernel dropped because a ring was full.
	Lost uint64

	name    string
	m       *SkelgenRtMap
	epfd    int
	fds     []int
	cpus    []int
	slots   []uint32
	rings   [][]byte
	page    int
	scratch []byte
}

// PerfBuf opens a reader of m, a perf event array, after Load: one event per possible CPU,
// each with a ring of pages pages (a power of 2). On failure nothing is left mapped, open,
// or in the map.
func (m *SkelgenRtMap) PerfBuf(pages int) (*SkelgenRtPerfBuf, error) {
	op := "read the perf buffer " + m.info.name
	if m.info.mapType != skelgenRtMapTypePerfEventArray {
		return nil, skelgenRtFail(op, "check the map type, BPF_MAP_TYPE_PERF_EVENT_ARRAY", syscall.EINVAL)
	}
	if m.fd <= 0 {
		return nil, skelgenRtFail(op, "the map is not loaded", syscall.EBADF)
	}
	if pages <= 0 || pages&(pages-1) != 0 {
		return nil, skelgenRtFail(op, "check the pages, a power of 2", syscall.EINVAL)
	}
	cpus, err := skelgenRtPossibleCPUs()
	if err != nil {
		return nil, skelgenRtFail(op, "count the possible CPUs", err)
	}
	b := &SkelgenRtPerfBuf{name: m.info.name, m: m, epfd: -1, page: os.Getpagesize(), scratch: make([]byte, 1<<16)}
	for cpu := 0; cpu < cpus; cpu++ {
		if step, err := b.openCPU(cpu, pages); err != nil {
			b.Close()
			return nil, skelgenRtFail(op, step, err)
		}
	}
	if b.epfd, err = skelgenRtEpoll(b.fds); err != nil {
		b.Close()
		return nil, skelgenRtFail(op, "epoll of the events", err)
	}
	return b, nil
}

// openCPU opens the event and ring of one CPU and puts the event in the map; on failure
// it says which step failed.
func (b *SkelgenRtPerfBuf) openCPU(cpu, pages int) (string, error) {
	// PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, PERF_SAMPLE_RAW.
	attr := skelgenRtPerfAttr{typ: 1, config: 10, sampleType: 1 << 10, samplePeriod: 1, wakeupEvents: 1}
	of := " of CPU " + strconv.Itoa(cpu)
	fd, err := skelgenRtPerfEventOpen(&attr, -1, cpu)
	if err == syscall.ENODEV {
		return "", nil
	}
	if err != nil {
		return "perf_event_open" + of, err
	}
	b.fds = append(b.fds, fd)
	ring, err := syscall.Mmap(fd, 0, (pages+1)*b.page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return "mmap of the ring" + of, err
	}
	b.rings = append(b.rings, ring)
	b.cpus = append(b.cpus, cpu)
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), 0x2400, 0); errno != 0 {
		return "enable the event" + of, errno
	}
	key, value := uint32(cpu), uint32(fd)
	if err := b.m.Update(&key, &value, 0); err != nil {
		return "store the event" + of + " in the map", errors.Unwrap(err)
	}
	b.slots = append(b.slots, key)
	return "", nil
}

// Consume calls fn with every sample of every CPU's ring (the raw data the program
// wrote, padded to 8 bytes with its size); the slice is valid during the call only. It
// returns how many samples fn got; an error from fn stops the reading and is returned.
func (b *SkelgenRtPerfBuf) Consume(fn func(cpu int, data []byte) error) (int, error) {
	n := 0
	for i, ring := range b.rings {
		got, err := b.consumeRing(ring, b.cpus[i], fn)
		n += got
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// consumeRing reads one ring (the metadata page, then the data).
func (b *SkelgenRtPerfBuf) consumeRing(ring []byte, cpu int, fn func(cpu int, data []byte) error) (int, error) {
	head := atomic.LoadUint64((*uint64)(unsafe.Pointer(&ring[1024])))
	tailp := (*uint64)(unsafe.Pointer(&ring[1032]))
	data := ring[b.page:]
	mask := uint64(len(data) - 1)
	n := 0
	tail := *tailp
	// Counted down from at most one ring's worth, never compared as positions: a corrupt
	// head or tail near 2^64 cannot make tail wrap and the walk go on.
	left := uint64(0)
	if tail < head {
		left = min(head-tail, uint64(len(data)))
	}
	for left >= 8 {
		rec := skelgenRtPerfCopy(b.scratch, data, tail, mask)
		if rec == nil || uint64(len(rec)) > left {
			break
		}
		var err error
		sample, isSample, lost := skelgenRtPerfRecord(rec)
		if isSample {
			err = fn(cpu, sample)
			n++
		}
		b.Lost += lost
		tail += uint64(len(rec))
		left -= uint64(len(rec))
		atomic.StoreUint64(tailp, tail)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// The perf records a reader handles (include/uapi/linux/perf_event.h).
const (
	skelgenRtPerfRecordLost   = 2
	skelgenRtPerfRecordSample = 9
)

// skelgenRtPerfCopy copies the record at tail of a perf ring's data (a power of 2 in
// size; the record may wrap) into scratch; nil when its size is less than a header, or
// more than the ring or scratch holds.
func skelgenRtPerfCopy(scratch, data []byte, tail, mask uint64) []byte {
	var header [8]byte
	for i := range header {
		header[i] = data[(tail+uint64(i))&mask]
	}
	size := int(binary.LittleEndian.Uint16(header[6:]))
	if size < len(header) || size > len(data) || size > len(scratch) {
		return nil
	}
	rec := scratch[:size]
	off := int(tail & mask)
	copied := copy(rec, data[off:])
	copy(rec[copied:], data)
	return rec
}

// skelgenRtPerfRecord reads one record: a sample's raw data (PERF_SAMPLE_RAW: a u32 size,
// then the data, cut to what the record holds), or the count of a record of lost samples.
func skelgenRtPerfRecord(rec []byte) (sample []byte, isSample bool, lost uint64) {
	le := binary.LittleEndian
	if len(rec) < 8 {
		return nil, false, 0
	}
	switch le.Uint32(rec) {
	case skelgenRtPerfRecordSample:
		if len(rec) < 12 {
			return nil, false, 0
		}
		size := le.Uint32(rec[8:])
		if room := uint32(len(rec) - 12); size > room {
			size = room
		}
		return rec[12 : 12+size], true, 0
	case skelgenRtPerfRecordLost:
		if len(rec) >= 24 {
			return nil, false, le.Uint64(rec[16:])
		}
	}
	return nil, false, 0
}

// Poll waits up to timeout (negative: for ever) for samples, then consumes them.
func (b *SkelgenRtPerfBuf) Poll(timeout time.Duration, fn func(cpu int, data []byte) error) (int, error) {
	if err := skelgenRtWait(b.epfd, timeout); err != nil {
		return 0, skelgenRtFail("read the perf buffer "+b.name, "epoll_wait", err)
	}
	return b.Consume(fn)
}

// Close empties the map's slots it filled, closes the events and unmaps their rings. (A
// slot holds its event, and the event its ring, until the slot is emptied or the map
// closed.)
func (b *SkelgenRtPerfBuf) Close() error {
	for i := range b.slots {
		b.m.Delete(&b.slots[i])
	}
	skelgenRtClose(&b.epfd)
	for _, ring := range b.rings {
		syscall.Munmap(ring)
	}
	for i := range b.fds {
		skelgenRtClose(&b.fds[i])
	}
	b.rings, b.fds, b.cpus, b.slots = nil, nil, nil, nil
	return nil
}

// skelgenRtEpoll is an epoll instance watching fds for input.
func skelgenRtEpoll(fds []int) (int, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return -1, err
	}
	for i, fd := range fds {
		event := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(i)}
		if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fd, &event); err != nil {
			syscall.Close(epfd)
			return -1, err
		}
	}
	return epfd, nil
}

// skelgenRtWait waits up to timeout (negative: for ever) for input on epfd.
func skelgenRtWait(epfd int, timeout time.Duration) error {
	ms := -1
	if timeout >= 0 {
		ms = int(timeout.Milliseconds())
	}
	events := make([]syscall.EpollEvent, 16)
	if _, err := syscall.EpollWait(epfd, events, ms); err != nil && err != syscall.EINTR {
		return err
	}
	return nil
}
