//! Byte containers that serialise readably: hex strings rather than arrays of numbers.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt::Write as _;

/// Raw bytes, serialised as one lowercase hex string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HexBytes(pub Vec<u8>);

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        from_hex(&text)
            .map(HexBytes)
            .map_err(serde::de::Error::custom)
    }
}

/// One 8-byte BPF instruction in target byte order, serialised as 16 hex digits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Insn(pub [u8; 8]);

impl Insn {
    /// The opcode byte.
    pub fn code(&self) -> u8 {
        self.0[0]
    }
    /// Destination register (low nibble of byte 1).
    pub fn dst(&self) -> u8 {
        self.0[1] & 0x0f
    }
    /// Source register (high nibble of byte 1).
    pub fn src(&self) -> u8 {
        self.0[1] >> 4
    }
    /// Sets the source register.
    pub fn set_src(&mut self, src: u8) {
        self.0[1] = (self.0[1] & 0x0f) | (src << 4);
    }
    /// Signed 16-bit offset (little-endian objects only).
    pub fn off(&self) -> i16 {
        i16::from_le_bytes([self.0[2], self.0[3]])
    }
    /// Sets the 16-bit offset.
    pub fn set_off(&mut self, off: i16) {
        self.0[2..4].copy_from_slice(&off.to_le_bytes());
    }
    /// Signed 32-bit immediate.
    pub fn imm(&self) -> i32 {
        i32::from_le_bytes([self.0[4], self.0[5], self.0[6], self.0[7]])
    }
    /// Sets the 32-bit immediate.
    pub fn set_imm(&mut self, imm: i32) {
        self.0[4..8].copy_from_slice(&imm.to_le_bytes());
    }
}

impl Serialize for Insn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for Insn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = from_hex(&text).map_err(serde::de::Error::custom)?;
        let arr: [u8; 8] = bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("an instruction is 8 bytes"))?;
        Ok(Insn(arr))
    }
}

fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    if text.len() % 2 != 0 {
        return Err("odd number of hex digits".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let b = HexBytes(vec![0, 1, 0xab, 0xff]);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, "\"0001abff\"");
        assert_eq!(serde_json::from_str::<HexBytes>(&json).unwrap(), b);
    }

    #[test]
    fn insn_fields() {
        let mut i = Insn([0x18, 0x21, 0xfe, 0xff, 1, 0, 0, 0]);
        assert_eq!(
            (i.code(), i.dst(), i.src(), i.off(), i.imm()),
            (0x18, 1, 2, -2, 1)
        );
        i.set_src(5);
        i.set_imm(-1);
        assert_eq!((i.dst(), i.src(), i.imm()), (1, 5, -1));
    }
}
