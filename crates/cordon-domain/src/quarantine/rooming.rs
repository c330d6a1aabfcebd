//! Rooming at check-in: who sleeps in which room. One person a room by
//! default, since strangers sharing a room share an infection; people of one
//! declared travel group together, in one room if one is big enough, else in
//! rooms of one floor, side by side if possible. The plan is made whole before
//! anyone is checked in: if the rooms are too few, nobody is, and the refusal
//! says how many rooms are missing.

use super::site::{Room, RoomNo, RoomState};
use crate::{Key, Refusal};

/// Someone to room: who, and the key of their declared group (`TravelGroup::key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lodger<P> {
    /// The person, as the caller knows them (a passport, an id).
    pub person: P,
    /// The group's key, if they declared one.
    pub group: Option<String>,
}

/// Why a plan or a move is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomingError {
    /// Too few vacant rooms for everyone.
    #[error("{rooms} more rooms are needed for {people} people")]
    Short {
        /// Rooms missing, counted in rooms of the largest size the site has.
        rooms: usize,
        /// People left without a room.
        people: usize,
    },
    /// The room has no free bed.
    #[error("room {room} has {capacity} beds, all taken")]
    Full {
        /// The room.
        room: RoomNo,
        /// Its beds.
        capacity: u32,
    },
    /// The room is awaiting disinfection or out of service.
    #[error("room {room} is {}", state.as_str())]
    Unavailable {
        /// The room.
        room: RoomNo,
        /// Its state.
        state: RoomState,
    },
    /// No such room among those the plan may use.
    #[error("no room {0}")]
    UnknownRoom(RoomNo),
    /// The person is not in the plan.
    #[error("the person is not in the plan")]
    UnknownPerson,
}

impl From<RoomingError> for Refusal {
    fn from(e: RoomingError) -> Refusal {
        match e {
            RoomingError::Short { rooms, people } => {
                Key::QuarantineRoomsShort.with("rooms", rooms).with("people", people)
            }
            RoomingError::Full { room, capacity } => {
                Key::QuarantineRoomFull.with("room", room.as_str()).with("capacity", i64::from(capacity))
            }
            RoomingError::Unavailable { room, state } => match state {
                RoomState::AwaitingDisinfection => Key::QuarantineRoomAwaitingDisinfection,
                // Only those two states refuse people (`RoomState::takes_people`).
                _ => Key::QuarantineRoomOutOfService,
            }
            .with("room", room.as_str()),
            RoomingError::UnknownRoom(room) => Key::QuarantineRoomUnknown.with("room", room.as_str()),
            RoomingError::UnknownPerson => Key::QuarantinePersonNotInPlan.into(),
        }
    }
}

/// Whether one more person can move into a room: it takes people in its
/// state, and a bed is free. The one rule for plans and for moves after check-in.
pub fn may_move_in(room: &RoomNo, state: RoomState, occupants: u32, capacity: u32) -> Result<(), RoomingError> {
    if !state.takes_people() {
        return Err(RoomingError::Unavailable { room: room.clone(), state });
    }
    if occupants >= capacity {
        return Err(RoomingError::Full { room: room.clone(), capacity });
    }
    Ok(())
}

/// A rooming plan: each person and their room, in the order people were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<P> {
    rooms: Vec<Room>,
    assigned: Vec<(P, RoomNo)>,
}

impl<P: Clone + PartialEq> Plan<P> {
    /// Each person and their room, in the order people were given.
    pub fn assignments(&self) -> &[(P, RoomNo)] {
        &self.assigned
    }

    /// The room of a person.
    pub fn room_of(&self, person: &P) -> Option<&RoomNo> {
        self.assigned.iter().find(|(p, _)| p == person).map(|(_, r)| r)
    }

    /// How many the plan puts in a room.
    pub fn occupants(&self, room: &RoomNo) -> u32 {
        u32::try_from(self.assigned.iter().filter(|(_, r)| r == room).count()).unwrap_or(u32::MAX)
    }

    /// The manual override: moves one person to another of the plan's rooms
    /// if a bed is free there (a stranger's room too: the person moving it
    /// decides that).
    pub fn move_person(&mut self, person: &P, to: &RoomNo) -> Result<(), RoomingError> {
        let at = self.assigned.iter().position(|(p, _)| p == person).ok_or(RoomingError::UnknownPerson)?;
        if self.assigned[at].1 == *to {
            return Ok(());
        }
        let room = self.rooms.iter().find(|r| r.number == *to).ok_or_else(|| RoomingError::UnknownRoom(to.clone()))?;
        may_move_in(to, RoomState::Vacant, self.occupants(to), room.capacity)?;
        self.assigned[at].1 = to.clone();
        Ok(())
    }
}

/// Plans rooms for `people` in the `vacant` rooms: every declared group
/// together and everyone else alone, or a refusal saying how many rooms are
/// missing. Groups are placed first, largest first, each in the smallest room
/// that holds it whole; a group bigger than every room goes to a run of
/// neighbouring rooms on one floor, else to rooms of one floor, else to the
/// largest rooms left. Everyone alone then takes the smallest room left.
pub fn plan<P: Clone + PartialEq>(people: &[Lodger<P>], vacant: &[Room]) -> Result<Plan<P>, RoomingError> {
    let mut rooms = vacant.to_vec();
    rooms.sort_by(|a, b| (a.floor, &a.number).cmp(&(b.floor, &b.number)));
    let mut free = vec![true; rooms.len()];
    let mut room_of: Vec<Option<usize>> = vec![None; people.len()];
    let (mut short_rooms, mut short_people) = (0, 0);
    let largest = rooms.iter().map(|r| r.capacity).max().unwrap_or(1).max(1) as usize;
    for unit in units(people) {
        match place(unit.len(), &rooms, &free) {
            Some(chosen) => {
                let mut beds = chosen.iter().flat_map(|&i| std::iter::repeat_n(i, rooms[i].capacity as usize));
                for &person in &unit {
                    room_of[person] = beds.next();
                }
                for i in chosen {
                    free[i] = false;
                }
            }
            None => {
                short_rooms += unit.len().div_ceil(largest);
                short_people += unit.len();
            }
        }
    }
    if short_people > 0 {
        return Err(RoomingError::Short { rooms: short_rooms, people: short_people });
    }
    let assigned = people
        .iter()
        .zip(room_of)
        .map(|(l, i)| (l.person.clone(), rooms[i.expect("everyone is placed")].number.clone()))
        .collect();
    Ok(Plan { rooms, assigned })
}

/// The people to place together, as indices: each declared group (in the
/// order groups first appear) and each person alone; largest first, so that
/// the big rooms are still free for the big groups.
fn units<P>(people: &[Lodger<P>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut units: Vec<Vec<usize>> = Vec::new();
    for (i, l) in people.iter().enumerate() {
        match l.group.as_deref() {
            Some(g) => match groups.iter_mut().find(|(k, _)| *k == g) {
                Some((_, members)) => members.push(i),
                None => groups.push((g, vec![i])),
            },
            None => units.push(vec![i]),
        }
    }
    let mut all: Vec<Vec<usize>> = groups.into_iter().map(|(_, m)| m).chain(units).collect();
    // Stable: equal sizes keep the order people were given.
    all.sort_by_key(|u| std::cmp::Reverse(u.len()));
    all
}

/// The free rooms (indices into `rooms`, sorted by floor and number) for `n`
/// people together, by the rules of `plan`, or `None` if the free beds are too few.
fn place(n: usize, rooms: &[Room], free: &[bool]) -> Option<Vec<usize>> {
    let cap = |i: usize| rooms[i].capacity as usize;
    let open: Vec<usize> = (0..rooms.len()).filter(|&i| free[i]).collect();
    // One room: the smallest that holds them all.
    if let Some(&i) = open.iter().filter(|&&i| cap(i) >= n).min_by_key(|&&i| (cap(i), i)) {
        return Some(vec![i]);
    }
    // Neighbouring rooms: a run of free rooms on one floor, door by door
    // (812, 813, 814); the fewest rooms, then the fewest empty beds, then the lowest.
    let mut best: Option<(usize, usize, Vec<usize>)> = None;
    for start in 0..rooms.len() {
        let mut run = Vec::new();
        let mut beds = 0;
        for i in start..rooms.len() {
            let next_door = i == start || rooms[i].number.follows(&rooms[i - 1].number);
            if !free[i] || rooms[i].floor != rooms[start].floor || !next_door {
                break;
            }
            run.push(i);
            beds += cap(i);
            if beds >= n {
                let better = best.as_ref().is_none_or(|(len, waste, _)| (run.len(), beds - n) < (*len, *waste));
                if better {
                    best = Some((run.len(), beds - n, run.clone()));
                }
                break;
            }
        }
    }
    if let Some((_, _, run)) = best {
        return Some(run);
    }
    // Rooms of one floor, then any rooms: the largest first, so the group is in as few rooms as can be.
    let largest_first = |mut candidates: Vec<usize>| {
        candidates.sort_by_key(|&i| (std::cmp::Reverse(cap(i)), i));
        let mut taken = Vec::new();
        let mut beds = 0;
        for i in candidates {
            if beds >= n {
                break;
            }
            taken.push(i);
            beds += cap(i);
        }
        taken.sort_unstable();
        (beds >= n).then_some(taken)
    };
    let mut floors: Vec<i32> = open.iter().map(|&i| rooms[i].floor).collect();
    floors.dedup();
    floors
        .into_iter()
        .filter_map(|f| largest_first(open.iter().copied().filter(|&i| rooms[i].floor == f).collect()))
        .min_by_key(|t| t.len())
        .or_else(|| largest_first(open))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(floor: i32, number: &str, capacity: u32) -> Room {
        Room { floor, number: RoomNo::parse(number).unwrap(), capacity }
    }

    fn no(s: &str) -> RoomNo {
        RoomNo::parse(s).unwrap()
    }

    fn lodgers(groups: &[Option<&str>]) -> Vec<Lodger<usize>> {
        groups.iter().enumerate().map(|(i, g)| Lodger { person: i, group: g.map(str::to_string) }).collect()
    }

    fn rooms_of(plan: &Plan<usize>) -> Vec<&str> {
        plan.assignments().iter().map(|(_, r)| r.as_str()).collect()
    }

    #[test]
    fn everyone_alone_gets_a_room_of_their_own() {
        let rooms = [room(8, "802", 2), room(8, "801", 1), room(9, "901", 1)];
        let plan = plan(&lodgers(&[None, None, None]), &rooms).unwrap();
        assert_eq!(rooms_of(&plan), ["801", "901", "802"], "the smallest rooms first, the double last");
    }

    #[test]
    fn a_group_shares_the_smallest_room_that_holds_it() {
        let rooms = [room(8, "801", 1), room(8, "802", 3), room(8, "803", 2)];
        let people = lodgers(&[Some("a"), None, Some("a")]);
        let plan = plan(&people, &rooms).unwrap();
        assert_eq!(rooms_of(&plan), ["803", "801", "803"]);
    }

    #[test]
    fn a_group_bigger_than_any_room_takes_neighbouring_rooms_on_one_floor() {
        let rooms = [room(8, "801", 2), room(9, "901", 2), room(9, "902", 2), room(8, "803", 2), room(9, "903", 2)];
        let people = lodgers(&[Some("f"); 5]);
        let plan = plan(&people, &rooms).unwrap();
        assert_eq!(rooms_of(&plan), ["901", "901", "902", "902", "903"], "floor 8 has only 4 beds");
        // Without 902, 901 is not next to 903: the run is 903 and 904.
        let rooms = [room(9, "901", 2), room(9, "903", 2), room(9, "904", 2), room(8, "801", 2), room(10, "1001", 2)];
        let plan = super::plan(&lodgers(&[Some("f"); 4]), &rooms).unwrap();
        assert_eq!(rooms_of(&plan), ["903", "903", "904", "904"], "901 is not next to 903");
    }

    #[test]
    fn a_group_that_fits_no_floor_is_spread_over_the_largest_rooms() {
        let rooms = [room(8, "801", 2), room(9, "901", 3), room(10, "1001", 1)];
        let plan = plan(&lodgers(&[Some("f"); 6]), &rooms).unwrap();
        assert_eq!(rooms_of(&plan), ["801", "801", "901", "901", "901", "1001"]);
    }

    #[test]
    fn too_few_rooms_are_reported_before_anyone_is_placed() {
        let rooms = [room(8, "801", 1), room(8, "802", 2)];
        assert_eq!(plan(&lodgers(&[None, None, None]), &rooms), Err(RoomingError::Short { rooms: 1, people: 1 }));
        let r = Refusal::from(RoomingError::Short { rooms: 1, people: 1 });
        assert_eq!(r.to_string(), "quarantine-rooms-short rooms=1 people=1");
        // A group of 5 fits in 3 beds nowhere: 3 more double rooms would hold it.
        assert_eq!(plan(&lodgers(&[Some("g"); 5]), &rooms), Err(RoomingError::Short { rooms: 3, people: 5 }));
        assert_eq!(plan(&lodgers(&[None]), &[]), Err(RoomingError::Short { rooms: 1, people: 1 }));
        assert_eq!(plan::<usize>(&[], &[]).unwrap().assignments(), []);
    }

    #[test]
    fn a_hundred_and_ten_students_in_pairs_and_alone_fill_a_hotel_without_strangers_sharing() {
        let mut groups: Vec<Option<String>> = (0..20).map(|i| Some(format!("pair{}", i / 2))).collect();
        groups.extend((0..90).map(|_| None));
        let people: Vec<Lodger<usize>> =
            groups.into_iter().enumerate().map(|(i, group)| Lodger { person: i, group }).collect();
        let rooms: Vec<Room> = (0..100).map(|i| room(3 + i / 20, &format!("{}{:02}", 3 + i / 20, i % 20), 2)).collect();
        let plan = plan(&people, &rooms).unwrap();
        for (a, ra) in plan.assignments() {
            for (b, rb) in plan.assignments() {
                let together = people[*a].group.is_some() && people[*a].group == people[*b].group;
                assert_eq!(ra == rb, a == b || together, "{a} and {b}");
            }
        }
    }

    #[test]
    fn a_manual_move_checks_the_beds_of_the_room() {
        let rooms = [room(8, "801", 1), room(8, "802", 2), room(8, "803", 1)];
        let mut plan = plan(&lodgers(&[None, None]), &rooms).unwrap();
        assert_eq!(rooms_of(&plan), ["801", "803"]);
        plan.move_person(&1, &no("802")).unwrap();
        plan.move_person(&0, &no("802")).unwrap();
        assert_eq!(plan.occupants(&no("802")), 2);
        assert_eq!(plan.room_of(&0), Some(&no("802")));
        plan.move_person(&0, &no("802")).unwrap();
        plan.move_person(&0, &no("801")).unwrap();
        assert_eq!(plan.move_person(&1, &no("801")), Err(RoomingError::Full { room: no("801"), capacity: 1 }));
        assert_eq!(plan.move_person(&1, &no("999")), Err(RoomingError::UnknownRoom(no("999"))));
        assert_eq!(plan.move_person(&7, &no("801")), Err(RoomingError::UnknownPerson));
    }

    #[test]
    fn after_check_in_a_room_takes_people_only_when_usable_and_not_full() {
        let r = no("812");
        assert_eq!(may_move_in(&r, RoomState::Occupied, 1, 2), Ok(()));
        assert_eq!(
            may_move_in(&r, RoomState::Occupied, 2, 2),
            Err(RoomingError::Full { room: r.clone(), capacity: 2 })
        );
        assert_eq!(
            may_move_in(&r, RoomState::AwaitingDisinfection, 0, 2),
            Err(RoomingError::Unavailable { room: r.clone(), state: RoomState::AwaitingDisinfection })
        );
        assert!(may_move_in(&r, RoomState::OutOfService, 0, 2).is_err());
    }
}
