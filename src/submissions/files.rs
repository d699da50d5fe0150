//! Where finished submission files are kept. With several instances on one database every
//! instance must serve every file, so on PostgreSQL they are stored in the database in chunks;
//! a folder (the data folder, or one every instance mounts) is the default on SQLite.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use diesel::prelude::*;

use super::Error;
use crate::db::schema::submission_files;
use crate::db::{Backend, Db, DbConn};

/// Bytes per stored chunk: large enough that a file of a million tumors is a few thousand
/// rows, small enough that one chunk in memory does not matter.
const CHUNK_BYTES: usize = 1 << 20;

/// Where files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Database,
    Folder,
}

impl StoreKind {
    /// `database` or `folder`.
    pub fn parse(text: &str) -> Option<StoreKind> {
        match text.trim() {
            "database" => Some(StoreKind::Database),
            "folder" => Some(StoreKind::Folder),
            _ => None,
        }
    }

    /// The database on PostgreSQL (the backend several instances share), the folder on SQLite.
    pub fn default_for(backend: &Backend) -> StoreKind {
        if backend.is_sqlite() {
            StoreKind::Folder
        } else {
            StoreKind::Database
        }
    }
}

/// The submission files of one service.
#[derive(Debug, Clone)]
pub struct FileStore {
    pub kind: StoreKind,
    /// Temporary files of builds; the files themselves with [`StoreKind::Folder`], and files
    /// built before they moved into the database.
    pub dir: PathBuf,
}

impl FileStore {
    pub fn new(kind: StoreKind, dir: PathBuf) -> FileStore {
        FileStore { kind, dir }
    }

    /// Where a folder-kept file lives.
    pub fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.xml"))
    }

    /// Keeps the finished file `part` as submission `id`'s. Called inside the transaction that
    /// marks the batch done: in the database the chunks commit with it; in a folder the file is
    /// renamed into place, and a commit failing after that leaves at worst a file no done batch
    /// points to.
    pub fn keep(&self, conn: &mut DbConn, id: &str, part: &Path) -> Result<(), Error> {
        match self.kind {
            StoreKind::Folder => Ok(fs::rename(part, self.path(id))?),
            StoreKind::Database => {
                let mut file = fs::File::open(part)?;
                let mut buf = vec![0u8; CHUNK_BYTES];
                for chunk in 0.. {
                    let n = read_full(&mut file, &mut buf)?;
                    if n == 0 {
                        break;
                    }
                    diesel::insert_into(submission_files::table)
                        .values((
                            submission_files::submission_id.eq(id),
                            submission_files::chunk.eq(chunk),
                            submission_files::data.eq(&buf[..n]),
                        ))
                        .execute(conn)?;
                    if n < buf.len() {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    /// The file of a done submission, read as it streams (one chunk in memory at a time, a
    /// pooled connection only while a chunk is fetched, so a slow client holds none).
    pub fn open(&self, db: &Db, id: &str) -> Result<Box<dyn Read + Send>, Error> {
        if self.kind == StoreKind::Database {
            let first = fetch(db, id, 0)?;
            if let Some(data) = first {
                return Ok(Box::new(Chunks {
                    db: db.clone(),
                    id: id.to_string(),
                    next: 1,
                    data,
                    at: 0,
                    done: false,
                }));
            }
            // Built before files moved into the database (or by an instance keeping them in a
            // folder): served from the folder below.
        }
        let path = self.path(id);
        let file = fs::File::open(&path).map_err(|e| {
            Error::NotFound(format!(
                "the file of submission {id} is not at {}: {e}",
                path.display()
            ))
        })?;
        Ok(Box::new(file))
    }
}

fn read_full(file: &mut fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn fetch(db: &Db, id: &str, chunk: i32) -> Result<Option<Vec<u8>>, Error> {
    let mut conn = db.conn()?;
    Ok(submission_files::table
        .filter(submission_files::submission_id.eq(id))
        .filter(submission_files::chunk.eq(chunk))
        .select(submission_files::data)
        .first(&mut *conn)
        .optional()?)
}

/// A database-kept file as a reader.
struct Chunks {
    db: Db,
    id: String,
    next: i32,
    data: Vec<u8>,
    at: usize,
    done: bool,
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.data.len() {
            if self.done {
                return Ok(0);
            }
            match fetch(&self.db, &self.id, self.next).map_err(io::Error::other)? {
                Some(data) => {
                    self.data = data;
                    self.at = 0;
                    self.next += 1;
                }
                None => self.done = true,
            }
        }
        let n = out.len().min(self.data.len() - self.at);
        out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
