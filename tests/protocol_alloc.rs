//! Hostile protocol inputs must fail without large allocations: a counting global allocator
//! measures the bytes requested by this thread while one decode call runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::{Bytes, BytesMut};
use rkafka::protocol::codec::Decoder;
use rkafka::protocol::frame::{DEFAULT_MAX_REQUEST_BYTES, Frame, decode_frame};
use rkafka::protocol::header::decode_request;
use rkafka::protocol::messages::{CreateTopicsRequest, MetadataRequest};

struct Counting;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    // try_with: the slot may already be gone while a thread shuts down.
    let _ = ALLOCATED.try_with(|c| c.set(c.get().saturating_add(bytes)));
}

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: as above; `ptr` came from this allocator (i.e. from System).
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes this thread allocated while running `f`.
fn allocated_by<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATED.with(Cell::get);
    let out = f();
    (out, ALLOCATED.with(Cell::get) - before)
}

const LIMIT: usize = 1 << 20;

#[test]
fn metadata_frame_claiming_2_pow_31_topics_allocates_little() {
    let mut raw = vec![0u8, 0, 0, 22, 0, 3, 0, 9, 0, 0, 0, 1];
    raw.extend_from_slice(&[0, 6, b'c', b'l', b'i', b'e', b'n', b't', 0]);
    raw.extend_from_slice(&[0x81, 0x80, 0x80, 0x80, 0x08]);
    assert_eq!(raw.len(), 26);
    let mut buf = BytesMut::from(&raw[..]);
    let (frame, used) = allocated_by(|| decode_frame(&mut buf, DEFAULT_MAX_REQUEST_BYTES));
    assert!(used < LIMIT, "frame split allocated {used} bytes");
    let Ok(Frame::Complete(frame)) = frame else {
        panic!("frame")
    };
    let (result, used) = allocated_by(|| decode_request(frame));
    assert!(result.is_err());
    assert!(used < LIMIT, "decode allocated {used} bytes");
}

#[test]
fn two_gib_frame_prefix_allocates_nothing_for_the_body() {
    let mut buf = BytesMut::from(&[0x7fu8, 0xff, 0xff, 0xff, 1, 2, 3][..]);
    let (frame, used) = allocated_by(|| decode_frame(&mut buf, DEFAULT_MAX_REQUEST_BYTES));
    assert!(matches!(frame, Ok(Frame::TooLarge { .. })));
    assert!(used < LIMIT, "allocated {used} bytes");
}

#[test]
fn counts_that_fit_the_input_cannot_amplify_memory() {
    // 512 KiB of input whose topic count is exactly what the bytes could hold at the minimum
    // element size, followed by garbage: the decoder may only reserve a capped amount.
    let mut body = vec![0x7f, 0xff, 0xff, 0xff];
    body.resize(512 * 1024, 0xff);
    let count = ((body.len() - 4) / 2) as u32;
    body[..4].copy_from_slice(&count.to_be_bytes());
    let input = Bytes::from(body);
    let (result, used) = allocated_by(|| MetadataRequest::decode(&mut Decoder::new(input), 4));
    assert!(result.is_err());
    assert!(used < LIMIT, "allocated {used} bytes");

    // Nested: one topic whose assignments claim 2^31-1 entries.
    let mut body = vec![0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 1];
    body.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    let (result, used) =
        allocated_by(|| CreateTopicsRequest::decode(&mut Decoder::new(Bytes::from(body)), 0));
    assert!(result.is_err());
    assert!(used < LIMIT, "allocated {used} bytes");
}
