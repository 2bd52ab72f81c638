//! A tiny HTTP/1.1 server on 127.0.0.1 for the drivers' tests: a thread per connection, each
//! request answered by a given [`Answer`].

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// How the server answers each request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// `200` with `{}`, after a delay, the connection kept open.
    Ok(Duration),
    /// `200` with `{}` and `Connection: close`, then the connection closed.
    Close,
    /// The head at once, the body `{}` after a delay.
    SlowBody(Duration),
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
const CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}";
const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";

/// Serves `answer` to every request of up to `connections` connections (without end when
/// `None`); returns the address to send to.
pub fn serve(connections: Option<usize>, answer: Answer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let accepted = listener.incoming().take(connections.unwrap_or(usize::MAX));
        for stream in accepted {
            let Ok(stream) = stream else { break };
            std::thread::spawn(move || answer_all(stream, answer));
        }
    });
    addr
}

fn answer_all(mut stream: TcpStream, answer: Answer) {
    let _ = stream.set_nodelay(true);
    let mut buf = [0u8; 1024];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        // One write per answer: split writes would meet Nagle and delayed ACKs.
        let _ = match answer {
            Answer::Ok(delay) => {
                std::thread::sleep(delay);
                stream.write_all(OK)
            }
            Answer::Close => {
                let _ = stream.write_all(CLOSE);
                break;
            }
            Answer::SlowBody(delay) => {
                let _ = stream.write_all(HEAD);
                std::thread::sleep(delay);
                stream.write_all(b"{}")
            }
        };
    }
}
