"""`scanner template edit`: open a template in the browser editor."""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path
from typing import Annotated

import typer

from scanner.cli_errors import run


def edit_command(
    template: Annotated[Path, typer.Argument(help="The template file to edit (say, one `template draft` wrote).",
                                             show_default=False)],
    no_browser: Annotated[bool, typer.Option("--no-browser",
                                             help="Do not open a browser; only print the address.")] = False,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (default: a free one).")] = 0,
) -> None:
    """Correct a template in the browser, over the images of its pages.

    Starts a server on 127.0.0.1 whose address holds a random token (as `scanner
    review` does) and opens the editor: each page with the template's boxes and
    comment zones drawn over it, to move, resize, snap to the printed shape, add,
    delete, merge and split, and with the items, scales and colours to edit. Every
    save is checked as the template is when read; the old file is kept as .bak.
    Ctrl+C stops the server.
    """
    from scanner.editor.server import EditorServer

    server = run(EditorServer, template, port=port)
    typer.echo(server.url)
    typer.echo(f"Editing {template}: open the address above; Ctrl+C stops the server.", err=True)
    if not no_browser:
        # Not the token: a browser's command line is there for any user of the machine to read.
        threading.Thread(target=webbrowser.open, args=(server.login_url(),), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        unsaved = server.document.state()["unsaved"]
        typer.echo("stopped; the last edits were NOT saved" if unsaved else "stopped", err=True)
    finally:
        server.server_close()
