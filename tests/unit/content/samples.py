"""Documents written for the content tests: several sections, headings, figures, asides and
some text that must never be read (a table, a link, navigation, references)."""

TIDES = """# How tides work

Tides are the regular rise and fall of the sea along the world's coasts. Most coasts see two \
high tides and two low tides every day. The pattern is so regular that tide tables can be \
printed years in advance.

## The Moon's pull

The main cause of the tides is the gravity of the Moon (Newton, 1687).[1] The Moon pulls on \
the whole Earth, but it pulls hardest on the side that faces it and weakest on the far side. \
This difference in pull, called the tidal force, stretches the oceans along the line between \
the Earth and the Moon. The Sun also raises tides, but its effect is only about 46% of the \
Moon's, because the Sun is so much farther away.[2]

## Two bulges of water

The stretching creates two bulges of water: one facing the Moon and one on the opposite side \
of the Earth. As the Earth turns, each coast passes through both bulges, so it has two high \
tides a day. Between the bulges the water is lower, and those places have low tide. Because \
the Moon moves along its orbit while the Earth spins, a coast meets the same bulge again about \
24 hours and 50 minutes later. That is why high tide comes roughly 12 hours and 25 minutes \
after the previous one, and why the tides arrive about 50 minutes later each day.

## Spring and neap tides

Twice a month, at new moon and full moon, the Sun, the Moon and the Earth line up. Their pulls \
add together and produce spring tides, with higher high tides and lower low tides than usual. \
The name has nothing to do with the season; it comes from the idea of the water springing up. \
When the Moon is at a right angle to the Sun, at the first and last quarter, their pulls \
partly cancel. The result is neap tides, when the difference between high and low water is \
smallest.

## Coasts make the difference

In the open ocean the tidal bulge is less than one metre high. Coastlines, bays and the shape \
of the sea floor change the tides enormously. In the Bay of Fundy in Canada, the water can \
rise by up to 16 metres, the largest tidal range in the world (see the table below). Its \
funnel shape and its length make the water slosh back and forth in step with the tides.

| Place | Range |
|-------|-------|
| Bay of Fundy | 16 m |
| Mediterranean | 0.3 m |

## Why tides matter

Tides shape the lives of people and animals along the shore. Fishermen and sailors plan their \
trips around the tide tables, and ports schedule large ships for high water. Tidal power \
stations turn the moving water into electricity; the station at La Rance in France has \
produced about 500 GWh a year since 1966. Crabs, snails and seaweed in the intertidal zone \
survive being under water and in the open air twice each day.

Further reading: https://tidesandcurrents.noaa.gov/education.html

Share this page | Print | Back to top

## References

[1] Newton, I. Philosophiae Naturalis Principia Mathematica. London, 1687.
[2] See the tide tables of your national hydrographic office for the figures used here.
"""

SOLAR = """# Why solar panels save homeowners money

Solar panels turn sunlight into electricity on your own roof. For many households they are \
now one of the best investments they can make in their home.

## How a panel works

A solar panel is made of silicon cells that release electrons when light falls on them. The \
flow of electrons is a direct current, which an inverter turns into the alternating current \
used in the home. A typical modern panel converts about 20% of the sunlight that reaches it \
into electricity. A home system of 6 kW can produce around 6,000 kWh a year in a sunny region.

## Lower bills

Every kilowatt hour made on the roof is one that does not have to be bought from the grid. \
Households that use most of their solar power during the day can cut their electricity bills \
by 40 to 70 percent. Surplus power can often be sold back to the grid, which brings in extra \
income.

## Costs and payback

The price of solar panels has fallen by more than 80% since 2010. A typical home system now \
costs between $10,000 and $15,000 before incentives. Tax credits and grants reduce that cost \
further in many countries. Most systems pay for themselves in 6\u201310 years, while the panels \
last 25 years or more. After the payback period, the electricity they produce is essentially \
free.

## What to check before you buy

Not every roof is a good fit. A roof that faces south in the northern hemisphere, with little \
shade, gives the best results. Installers should offer a warranty of at least 10 years on the \
work and 25 years on the panel output. It also pays to compare several quotes, since prices \
for the same system can differ by a third.
"""
