"""`lookbook report`: an HTML page of a trained run for people who judge outfits by eye.

gather.py collects the numbers (through evaluate_run and the one scorer), questions.py picks
the FITB questions and outfits worth looking at, plots.py and images.py turn them into
pictures, render.py fills the template, write.py puts the folder in place atomically.
"""
