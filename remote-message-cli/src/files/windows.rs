//! The Windows steps of a private write. Windows has no file mode: a file
//! is private by its DACL. The new file is created with a protected DACL
//! (nothing inherited from the directory) holding one entry, full control
//! for the user this process runs as (its token's user SID), who is also its
//! owner. It is given to `CreateFileW`, so the file never exists with any
//! other ACL, not even before its first byte.
//!
//! No crate kept up for this covers building a DACL, so these are the
//! `windows-sys` calls, each checked, with the buffers they point into owned
//! by the types below.
//!
//! Whether a secret file is readable by others is not checked on Windows:
//! reading a DACL and judging its entries is more `windows-sys` code than
//! the warning is worth; the files this project writes rely on the DACL
//! [`create_new_private`] gives them, and [`readable_by_others`] says no.
//! For the same reason an existing file or directory is left as it is
//! ([`make_private`], [`create_private_dir`]): a directory keeps the ACL it
//! inherits (the user's profile folders are private to the user), and what
//! must be private in it is written through [`create_new_private`] (the
//! agent rewrites its state and journal that way at every start).

use std::ffi::c_void;
use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{FromRawHandle, RawHandle};
use std::path::Path;
use std::ptr;
use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, ERROR_INSUFFICIENT_BUFFER, GENERIC_READ, GENERIC_WRITE, HANDLE,
    INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::{
    AddAccessAllowedAce, GetLengthSid, GetTokenInformation, InitializeAcl,
    InitializeSecurityDescriptor, SetSecurityDescriptorControl, SetSecurityDescriptorDacl,
    SetSecurityDescriptorOwner, TokenUser, ACCESS_ALLOWED_ACE, ACL, ACL_REVISION, PSID,
    SECURITY_ATTRIBUTES, SECURITY_DESCRIPTOR, SE_DACL_PROTECTED, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, CREATE_NEW, FILE_ALL_ACCESS, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_DELETE,
    FILE_SHARE_READ, FILE_SHARE_WRITE,
};
use windows_sys::Win32::System::SystemServices::SECURITY_DESCRIPTOR_REVISION;
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// The access the user gets: everything a file has (read, write, delete,
/// change its DACL).
const USER_ACCESS: u32 = FILE_ALL_ACCESS;

/// Creates `path`, which must not exist (`AlreadyExists` otherwise), with a
/// protected DACL granting only the current user.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    let user = TokenUserSid::current()?;
    let dacl = UserOnlyAcl::new(&user)?;
    let mut descriptor = PrivateDescriptor::new(&user, &dacl)?;
    let attributes = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: descriptor.as_ptr(),
        bInheritHandle: 0,
    };
    let wide: Vec<u16> = path.as_os_str().encode_wide().chain([0]).collect();
    // SAFETY: `wide` is NUL-terminated; `attributes` points at a descriptor
    // whose owner SID and DACL (`user`, `dacl`) outlive this call.
    let handle = unsafe {
        CreateFileW(
            wide.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            // As std opens files: the rename into place needs FILE_SHARE_DELETE.
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            &attributes,
            CREATE_NEW,
            FILE_ATTRIBUTE_NORMAL,
            ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        // ERROR_FILE_EXISTS reads as AlreadyExists: tempfile then tries another name.
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a valid file handle that nothing else owns.
    Ok(unsafe { File::from_raw_handle(handle as RawHandle) })
}

/// Nothing to do: Windows cannot open a directory to sync it; the rename
/// (`MoveFileExW`) is as durable as NTFS makes it.
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// The SID of the user this process runs as (`TokenUser` of its token), in
/// the buffer `GetTokenInformation` filled.
pub(super) struct TokenUserSid {
    /// A `TOKEN_USER` followed by the SID it points at; u64s for alignment.
    buffer: Vec<u64>,
}

impl TokenUserSid {
    pub(super) fn current() -> io::Result<TokenUserSid> {
        let mut token: HANDLE = ptr::null_mut();
        // SAFETY: the pseudo-handle of this process; `token` receives a handle.
        check(unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) })?;
        let token = Handle(token);
        let mut needed = 0u32;
        // SAFETY: a size query (no buffer); it fails with ERROR_INSUFFICIENT_BUFFER.
        let sized =
            unsafe { GetTokenInformation(token.0, TokenUser, ptr::null_mut(), 0, &mut needed) };
        // SAFETY: reads this thread's last error, set by the call above.
        if sized == 0 && unsafe { GetLastError() } != ERROR_INSUFFICIENT_BUFFER {
            return Err(io::Error::last_os_error());
        }
        let mut buffer = vec![0u64; (needed as usize).div_ceil(8)];
        // SAFETY: `buffer` holds at least `needed` bytes, aligned for TOKEN_USER.
        check(unsafe {
            GetTokenInformation(
                token.0,
                TokenUser,
                buffer.as_mut_ptr().cast::<c_void>(),
                needed,
                &mut needed,
            )
        })?;
        Ok(TokenUserSid { buffer })
    }

    /// The SID, pointing into `self`.
    pub(super) fn sid(&self) -> PSID {
        // SAFETY: the buffer starts with the TOKEN_USER the call filled in.
        unsafe { (*self.buffer.as_ptr().cast::<TOKEN_USER>()).User.Sid }
    }
}

/// A DACL with one entry: [`USER_ACCESS`] allowed to one SID.
struct UserOnlyAcl {
    buffer: Vec<u64>,
}

impl UserOnlyAcl {
    fn new(user: &TokenUserSid) -> io::Result<UserOnlyAcl> {
        // SAFETY: a valid SID from the token.
        let sid_len = unsafe { GetLengthSid(user.sid()) } as usize;
        // The ACL header, then one ACE whose SidStart field is the SID's first 4 bytes.
        let size = size_of::<ACL>() + size_of::<ACCESS_ALLOWED_ACE>() - size_of::<u32>() + sid_len;
        let mut buffer = vec![0u64; size.div_ceil(8)];
        let acl = buffer.as_mut_ptr().cast::<ACL>();
        // SAFETY: `acl` points at `size` writable bytes, aligned.
        check(unsafe { InitializeAcl(acl, size as u32, ACL_REVISION) })?;
        // SAFETY: the ACL was sized for exactly this ACE.
        check(unsafe { AddAccessAllowedAce(acl, ACL_REVISION, USER_ACCESS, user.sid()) })?;
        Ok(UserOnlyAcl { buffer })
    }

    fn as_ptr(&self) -> *const ACL {
        self.buffer.as_ptr().cast::<ACL>()
    }
}

/// An absolute security descriptor: `user` as owner, `dacl` as a protected
/// DACL. It points into both, which the borrow keeps alive.
struct PrivateDescriptor<'a> {
    descriptor: Box<SECURITY_DESCRIPTOR>,
    _parts: (&'a TokenUserSid, &'a UserOnlyAcl),
}

impl<'a> PrivateDescriptor<'a> {
    fn new(user: &'a TokenUserSid, dacl: &'a UserOnlyAcl) -> io::Result<PrivateDescriptor<'a>> {
        // SAFETY: a plain C struct; InitializeSecurityDescriptor sets it up.
        let mut descriptor: Box<SECURITY_DESCRIPTOR> = Box::new(unsafe { std::mem::zeroed() });
        let raw = (&mut *descriptor as *mut SECURITY_DESCRIPTOR).cast::<c_void>();
        // SAFETY: `raw` is a SECURITY_DESCRIPTOR that lives in the box; the
        // SID and ACL it is given outlive it (`_parts`).
        unsafe {
            check(InitializeSecurityDescriptor(
                raw,
                SECURITY_DESCRIPTOR_REVISION,
            ))?;
            check(SetSecurityDescriptorOwner(raw, user.sid(), 0))?;
            check(SetSecurityDescriptorDacl(raw, 1, dacl.as_ptr(), 0))?;
            // Protected: the directory's inheritable entries are not merged in.
            check(SetSecurityDescriptorControl(
                raw,
                SE_DACL_PROTECTED,
                SE_DACL_PROTECTED,
            ))?;
        }
        Ok(PrivateDescriptor {
            descriptor,
            _parts: (user, dacl),
        })
    }

    fn as_ptr(&mut self) -> *mut c_void {
        (&mut *self.descriptor as *mut SECURITY_DESCRIPTOR).cast::<c_void>()
    }
}

/// A handle closed when dropped.
struct Handle(HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: a handle this module opened and owns.
        unsafe { CloseHandle(self.0) };
    }
}

/// A Win32 BOOL result as an io::Result (the error from GetLastError).
fn check(ok: windows_sys::core::BOOL) -> io::Result<()> {
    if ok == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Not checked on Windows (see the module doc): always `false`.
pub fn readable_by_others(_path: &Path) -> io::Result<bool> {
    Ok(false)
}

/// Creates `path` and its missing parents, with the ACL they inherit (see
/// the module doc): never tightened, `false`.
pub fn create_private_dir(path: &Path) -> io::Result<bool> {
    std::fs::create_dir_all(path)?;
    Ok(false)
}

/// Leaves an existing file's DACL as it is (see the module doc): `false`;
/// a missing one is `NotFound`, as on unix.
pub fn make_private(path: &Path) -> io::Result<bool> {
    std::fs::metadata(path)?;
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Foundation::{LocalFree, ERROR_SUCCESS};
    use windows_sys::Win32::Security::Authorization::{GetSecurityInfo, SE_FILE_OBJECT};
    use windows_sys::Win32::Security::{
        EqualSid, GetAce, GetSecurityDescriptorControl, DACL_SECURITY_INFORMATION,
        OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
    };
    use windows_sys::Win32::System::SystemServices::ACCESS_ALLOWED_ACE_TYPE;

    /// What a file's security descriptor says, read back with GetSecurityInfo.
    #[derive(Debug)]
    struct ReadBack {
        protected: bool,
        owner_is_user: bool,
        /// Each ACE: (type, access mask, whether its SID is the current user).
        entries: Vec<(u8, u32, bool)>,
    }

    fn read_back(path: &Path) -> ReadBack {
        let user = TokenUserSid::current().unwrap();
        let file = File::open(path).unwrap();
        let mut owner: PSID = ptr::null_mut();
        let mut dacl: *mut ACL = ptr::null_mut();
        let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
        // SAFETY: an open file handle (GENERIC_READ includes READ_CONTROL);
        // the out-pointers point into `descriptor`, freed below.
        let status = unsafe {
            GetSecurityInfo(
                file.as_raw_handle() as HANDLE,
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                &mut owner,
                ptr::null_mut(),
                &mut dacl,
                ptr::null_mut(),
                &mut descriptor,
            )
        };
        assert_eq!(status, ERROR_SUCCESS, "GetSecurityInfo");
        assert!(
            !dacl.is_null(),
            "the file has no DACL (everyone may open it)"
        );
        let mut control = 0u16;
        let mut revision = 0u32;
        // SAFETY: the descriptor GetSecurityInfo returned.
        check(unsafe { GetSecurityDescriptorControl(descriptor, &mut control, &mut revision) })
            .unwrap();
        // SAFETY: `dacl` is a valid ACL inside `descriptor`; each ACE GetAce
        // hands back is read as the header its type says.
        let read = unsafe {
            let count = (*dacl).AceCount;
            let mut entries = Vec::new();
            for index in 0..u32::from(count) {
                let mut ace: *mut c_void = ptr::null_mut();
                check(GetAce(dacl, index, &mut ace)).unwrap();
                let ace = ace.cast::<ACCESS_ALLOWED_ACE>();
                let sid = ptr::addr_of_mut!((*ace).SidStart).cast::<c_void>();
                entries.push((
                    (*ace).Header.AceType,
                    (*ace).Mask,
                    EqualSid(sid, user.sid()) != 0,
                ));
            }
            ReadBack {
                protected: control & SE_DACL_PROTECTED != 0,
                owner_is_user: EqualSid(owner, user.sid()) != 0,
                entries,
            }
        };
        // SAFETY: allocated by GetSecurityInfo with LocalAlloc.
        unsafe { LocalFree(descriptor) };
        read
    }

    /// A key written by `write_private` reads back with a protected DACL of
    /// one entry, full control for the current user, who owns it: nothing
    /// inherited from the directory, nobody else let in. (Fails under wine
    /// 8: wine keeps no DACL on files but derives one from the unix mode,
    /// unprotected, with a second entry; real Windows keeps what was given.)
    #[test]
    fn a_private_file_grants_the_current_user_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ops.nk");
        super::super::write_private(&path, b"SUSECRET\n").unwrap();
        let read = read_back(&path);
        assert!(read.protected, "{read:?}");
        assert!(read.owner_is_user, "{read:?}");
        assert_eq!(
            read.entries,
            [(ACCESS_ALLOWED_ACE_TYPE as u8, FILE_ALL_ACCESS, true)],
            "{read:?}"
        );
    }

    /// The plain file beside it, made by std, inherits the directory's
    /// entries instead: the check above would catch a DACL left as it was.
    #[test]
    fn a_plain_file_inherits_its_directory_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plain");
        std::fs::write(&path, b"x").unwrap();
        let read = read_back(&path);
        assert!(!read.protected, "{read:?}");
    }
}
