import Crypto
import Foundation

extension ModelRequest {
    /// The content address of this request to the model with `modelDigest`: SHA-256 (hex) of the
    /// digest and the request's canonical JSON (messages, sampling settings with seed, schema).
    /// Equal keys mean the same model was asked the same thing the same way.
    public func cacheKey(modelDigest: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(modelDigest.utf8))
        hasher.update(data: Data([0]))
        hasher.update(data: Data(canonicalJSON.canonicalText.utf8))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// SHA-256 digests as lowercase hex, the form the journal stores content addresses in.
public enum ContentDigest {
    /// SHA-256 (hex) of `text`'s UTF-8 bytes.
    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
