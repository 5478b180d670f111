<?xml version="1.0" encoding="UTF-8"?>
<tileset version="1.10" tiledversion="1.10.2" name="rooms" tilewidth="16" tileheight="16" tilecount="8" columns="8">
 <image source="rooms.png" width="128" height="16"/>
 <tile id="0">
  <properties>
   <property name="tags" value="solid,wall"/>
   <property name="char" value="#"/>
  </properties>
 </tile>
 <tile id="1">
  <properties>
   <property name="tags" value="floor"/>
   <property name="walkable" type="bool" value="true"/>
   <property name="char" value="."/>
  </properties>
 </tile>
 <tile id="2">
  <properties>
   <property name="tags" value="water"/>
   <property name="char" value="~"/>
  </properties>
 </tile>
 <tile id="3">
  <properties>
   <property name="tags" value="hazard,spikes"/>
   <property name="char" value="^"/>
  </properties>
 </tile>
 <tile id="4">
  <properties>
   <property name="tags" value="passable,enemy"/>
   <property name="char" value="e"/>
  </properties>
 </tile>
 <tile id="5">
  <properties>
   <property name="tags" value="passable,collectable,coin"/>
   <property name="char" value="$"/>
  </properties>
 </tile>
 <tile id="6">
  <properties>
   <property name="tags" value="passable,spawn"/>
   <property name="char" value="S"/>
  </properties>
 </tile>
 <tile id="7">
  <properties>
   <property name="tags" value="passable,goal"/>
   <property name="char" value="G"/>
  </properties>
 </tile>
</tileset>
