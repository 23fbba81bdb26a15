//! A bounded in-memory filesystem: the printer's SD card and the ESP's flash. Files are written whole (a
//! file appears complete or not at all), capacity is honoured before a byte is stored, and no path escapes it.

use std::collections::BTreeMap;

use crate::time::SimTime;

/// Why a volume refused an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VolumeError {
    #[error("invalid path: {0}")]
    InvalidPath(PathFault),
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("not a directory")]
    NotADirectory,
    #[error("is a directory")]
    IsADirectory,
    #[error("directory not empty")]
    DirectoryNotEmpty,
    #[error("not enough space: {needed} bytes needed, {free} free")]
    NoSpace { needed: u64, free: u64 },
}

/// What is wrong with a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathFault {
    #[error("a `..` component")]
    ParentComponent,
    #[error("a NUL byte")]
    Nul,
    #[error("a component longer than the volume allows")]
    NameTooLong,
    #[error("the path names the root, not an entry")]
    Root,
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The entry's name within its directory.
    pub name: String,
    /// The file's size in bytes (0 for a directory).
    pub size: u64,
    /// Whether the entry is a directory.
    pub is_dir: bool,
    /// When the file was written, or the directory made.
    pub modified: SimTime,
}

#[derive(Clone, Debug)]
enum Node {
    File { data: Vec<u8>, modified: SimTime },
    Dir { modified: SimTime },
}

/// A filesystem of a fixed capacity. Paths are `/`-separated; a leading `/` is optional, empty and `.`
/// components are ignored, and `..`, NUL or an over-long name is refused.
#[derive(Clone, Debug)]
pub struct Volume {
    capacity: u64,
    max_name_len: usize,
    used: u64,
    /// Every entry by its normalised path (components joined by `/`, no leading slash).
    nodes: BTreeMap<String, Node>,
}

impl Volume {
    /// An empty volume of `capacity` bytes whose names are at most `max_name_len` bytes long.
    pub fn new(capacity: u64, max_name_len: usize) -> Self {
        Volume {
            capacity,
            max_name_len,
            used: 0,
            nodes: BTreeMap::new(),
        }
    }

    /// The volume's size in bytes.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Bytes taken by files.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Bytes still free.
    pub fn free(&self) -> u64 {
        self.capacity - self.used
    }

    /// The longest name a component may have.
    pub fn max_name_len(&self) -> usize {
        self.max_name_len
    }

    /// The normalised form of `path` (`a/b/c`, empty for the root), or why it is refused.
    pub fn normalize(&self, path: &str) -> Result<String, VolumeError> {
        let mut parts = Vec::new();
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(VolumeError::InvalidPath(PathFault::ParentComponent)),
                _ if part.contains('\0') => return Err(VolumeError::InvalidPath(PathFault::Nul)),
                _ if part.len() > self.max_name_len => {
                    return Err(VolumeError::InvalidPath(PathFault::NameTooLong));
                }
                _ => parts.push(part),
            }
        }
        Ok(parts.join("/"))
    }

    /// The entries directly inside the directory `dir`, directories first, each group by name.
    pub fn list(&self, dir: &str) -> Result<Vec<Entry>, VolumeError> {
        let dir = self.normalize(dir)?;
        self.require_dir(&dir)?;
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut entries: Vec<Entry> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .filter(|(path, _)| !path[prefix.len()..].contains('/'))
            .map(|(path, node)| entry(&path[prefix.len()..], node))
            .collect();
        entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.cmp(&b.name)));
        Ok(entries)
    }

    /// Every file on the volume with its full path (no leading slash), in path order.
    pub fn files(&self) -> impl Iterator<Item = (&str, Entry)> {
        self.nodes.iter().filter_map(|(path, node)| match node {
            Node::File { .. } => Some((path.as_str(), entry(base_name(path), node))),
            Node::Dir { .. } => None,
        })
    }

    /// The entry at `path`.
    pub fn stat(&self, path: &str) -> Result<Entry, VolumeError> {
        let path = self.entry_path(path)?;
        let node = self.nodes.get(&path).ok_or(VolumeError::NotFound)?;
        Ok(entry(base_name(&path), node))
    }

    /// The bytes of the file at `path`.
    pub fn read(&self, path: &str) -> Result<&[u8], VolumeError> {
        let path = self.entry_path(path)?;
        match self.nodes.get(&path) {
            Some(Node::File { data, .. }) => Ok(data),
            Some(Node::Dir { .. }) => Err(VolumeError::IsADirectory),
            None => Err(VolumeError::NotFound),
        }
    }

    /// Whether a file of `size` bytes could be written at `path` now (replacing any file there), without
    /// writing it: the check an upload makes before its first byte.
    pub fn check_write(&self, path: &str, size: u64) -> Result<(), VolumeError> {
        let path = self.entry_path(path)?;
        self.require_dir(parent(&path))?;
        let replaced = match self.nodes.get(&path) {
            Some(Node::File { data, .. }) => data.len() as u64,
            Some(Node::Dir { .. }) => return Err(VolumeError::IsADirectory),
            None => 0,
        };
        let free = self.free() + replaced;
        if size > free {
            return Err(VolumeError::NoSpace { needed: size, free });
        }
        Ok(())
    }

    /// Writes the whole file at `path` (replacing any file there) in one step.
    pub fn write(&mut self, path: &str, data: Vec<u8>, now: SimTime) -> Result<(), VolumeError> {
        self.check_write(path, data.len() as u64)?;
        let path = self.entry_path(path)?;
        self.used += data.len() as u64;
        if let Some(Node::File { data: old, .. }) = self.nodes.insert(path, Node::File { data, modified: now }) {
            self.used -= old.len() as u64;
        }
        Ok(())
    }

    /// Makes the directory `path`; its parent must exist.
    pub fn mkdir(&mut self, path: &str, now: SimTime) -> Result<(), VolumeError> {
        let path = self.entry_path(path)?;
        self.require_dir(parent(&path))?;
        if self.nodes.contains_key(&path) {
            return Err(VolumeError::AlreadyExists);
        }
        self.nodes.insert(path, Node::Dir { modified: now });
        Ok(())
    }

    /// Deletes the file at `path`.
    pub fn delete(&mut self, path: &str) -> Result<(), VolumeError> {
        let path = self.entry_path(path)?;
        match self.nodes.get(&path) {
            Some(Node::File { .. }) => {}
            Some(Node::Dir { .. }) => return Err(VolumeError::IsADirectory),
            None => return Err(VolumeError::NotFound),
        }
        if let Some(Node::File { data, .. }) = self.nodes.remove(&path) {
            self.used -= data.len() as u64;
        }
        Ok(())
    }

    /// Removes the empty directory `path`.
    pub fn rmdir(&mut self, path: &str) -> Result<(), VolumeError> {
        let path = self.entry_path(path)?;
        match self.nodes.get(&path) {
            Some(Node::Dir { .. }) => {}
            Some(Node::File { .. }) => return Err(VolumeError::NotADirectory),
            None => return Err(VolumeError::NotFound),
        }
        let prefix = format!("{path}/");
        if self
            .nodes
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&prefix))
        {
            return Err(VolumeError::DirectoryNotEmpty);
        }
        self.nodes.remove(&path);
        Ok(())
    }

    /// The normalised path of an entry (never the root).
    fn entry_path(&self, path: &str) -> Result<String, VolumeError> {
        let path = self.normalize(path)?;
        if path.is_empty() {
            return Err(VolumeError::InvalidPath(PathFault::Root));
        }
        Ok(path)
    }

    /// `Ok` when the normalised `dir` is the root or an existing directory.
    fn require_dir(&self, dir: &str) -> Result<(), VolumeError> {
        match (dir.is_empty(), self.nodes.get(dir)) {
            (true, _) | (false, Some(Node::Dir { .. })) => Ok(()),
            (false, Some(Node::File { .. })) => Err(VolumeError::NotADirectory),
            (false, None) => Err(VolumeError::NotFound),
        }
    }
}

fn entry(name: &str, node: &Node) -> Entry {
    match node {
        Node::File { data, modified } => Entry {
            name: name.to_string(),
            size: data.len() as u64,
            is_dir: false,
            modified: *modified,
        },
        Node::Dir { modified } => Entry {
            name: name.to_string(),
            size: 0,
            is_dir: true,
            modified: *modified,
        },
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: SimTime = SimTime::from_millis(1_000);

    fn card() -> Volume {
        Volume::new(1_000, 32)
    }

    #[test]
    fn a_written_file_is_listed_read_and_counted() {
        let mut v = card();
        v.write("/cube.gcode", b"G28\n".to_vec(), T).unwrap();
        assert_eq!(v.read("cube.gcode").unwrap(), b"G28\n");
        assert_eq!(v.used(), 4);
        assert_eq!(v.free(), 996);
        let listed = v.list("/").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].name.as_str(), listed[0].size, listed[0].modified),
            ("cube.gcode", 4, T)
        );
    }

    #[test]
    fn a_file_beyond_the_free_space_is_refused_and_nothing_is_stored() {
        let mut v = card();
        v.write("a", vec![0; 600], T).unwrap();
        assert_eq!(
            v.write("b", vec![0; 401], T),
            Err(VolumeError::NoSpace { needed: 401, free: 400 })
        );
        assert_eq!(v.stat("b"), Err(VolumeError::NotFound));
        assert_eq!(v.used(), 600);
        // Replacing a file may use the space the old one frees.
        v.write("a", vec![1; 1_000], T).unwrap();
        assert_eq!(v.used(), 1_000);
    }

    #[test]
    fn no_path_escapes_the_volume() {
        let mut v = card();
        for bad in ["../x", "/a/../../x", "a\0b", "/"] {
            assert!(
                matches!(v.write(bad, vec![1], T), Err(VolumeError::InvalidPath(_))),
                "{bad:?}"
            );
        }
        let long = "n".repeat(33);
        assert_eq!(
            v.write(&long, vec![1], T),
            Err(VolumeError::InvalidPath(PathFault::NameTooLong))
        );
        assert_eq!(v.used(), 0);
    }

    #[test]
    fn directories_nest_list_apart_and_must_be_empty_to_go() {
        let mut v = card();
        v.mkdir("/gcodes", T).unwrap();
        assert_eq!(v.mkdir("gcodes", T), Err(VolumeError::AlreadyExists));
        assert_eq!(v.write("/none/x", vec![1], T), Err(VolumeError::NotFound));
        v.write("/gcodes/a.gco", vec![1, 2], T).unwrap();
        v.write("/top.gco", vec![1], T).unwrap();
        let root: Vec<_> = v.list("").unwrap().into_iter().map(|e| (e.name, e.is_dir)).collect();
        assert_eq!(root, [("gcodes".to_string(), true), ("top.gco".to_string(), false)]);
        assert_eq!(v.list("/gcodes").unwrap()[0].name, "a.gco");
        assert_eq!(v.list("/top.gco"), Err(VolumeError::NotADirectory));
        assert_eq!(v.rmdir("/gcodes"), Err(VolumeError::DirectoryNotEmpty));
        assert_eq!(v.delete("/gcodes"), Err(VolumeError::IsADirectory));
        v.delete("/gcodes/a.gco").unwrap();
        v.rmdir("/gcodes").unwrap();
        assert_eq!(v.used(), 1);
        let files: Vec<_> = v.files().map(|(p, _)| p.to_string()).collect();
        assert_eq!(files, ["top.gco"]);
    }

    proptest! {
        #[test]
        fn used_space_always_equals_the_files_sizes(ops in proptest::collection::vec((0u8..4, "[a-c/.]{0,6}", 0usize..400), 0..40)) {
            let mut v = card();
            for (op, path, size) in ops {
                let _ = match op {
                    0 => v.write(&path, vec![7; size], T),
                    1 => v.delete(&path),
                    2 => v.mkdir(&path, T),
                    _ => v.rmdir(&path),
                };
                let total: u64 = v.files().map(|(_, e)| e.size).sum();
                prop_assert_eq!(total, v.used());
                prop_assert!(v.used() <= v.capacity());
            }
        }
    }
}
