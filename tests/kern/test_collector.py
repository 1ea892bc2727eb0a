"""kern.collector: pauses of the cyclic garbage collector that overlap in threads never leave it switched off."""

import gc
import threading

from kern.collector import collector_paused


def test_a_pause_switches_the_collector_off_and_on_again_even_when_its_block_raises():
    """Inside the block the collector is off; after it, on again, also after an exception."""
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    try:
        with collector_paused():
            raise ValueError("kapot")
    except ValueError:
        pass
    assert gc.isenabled()


def test_overlapping_pauses_in_two_threads_end_with_the_collector_on():
    """The interleaving that left it off with a check-then-set per pause: A starts, B starts, A ends, B ends.

    With each pause remembering the state it found, B found the collector off (A's pause) and so
    did not switch it on again when it ended last.
    """
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector_paused():
            a_in.set()
            b_in.wait(timeout=30)
        a_out.set()

    def second():
        a_in.wait(timeout=30)
        with collector_paused():
            b_in.set()
            a_out.wait(timeout=30)
            seen["after A ended, inside B"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert seen == {"after A ended, inside B": False}  # B's pause still holds
    assert gc.isenabled()


def test_a_pause_inside_a_process_whose_collector_is_off_leaves_it_off():
    """Whoever switched it off before keeps it off: a pause ends with the state it began with."""
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
